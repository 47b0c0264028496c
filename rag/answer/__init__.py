"""The answer stage: which retrieved sentences answer the question, and whether anything does.

``protocol`` is the stage's one interface (``Answerer``) and the values it exchanges with the facade;
``answerers`` holds the rules and learned ones, ``llm_answer`` the LLM's. The rest is what they use:
reading the question (``question``, ``answertype``), scoring sentences (``extractive``, ``overlap``,
``tokenmatch``, ``headings``, ``parts``), the LLM (``llm``, ``llm_prompt``) and the learned model
(``model``, ``scorer``, ``export``, ``learned``).
"""

__all__: list[str] = []
