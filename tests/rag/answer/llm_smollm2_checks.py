"""The real bundled SmolLM2-135M through ``Assistant(mode="llm")`` on the answerable acceptance questions.

Every sentence shown must carry a citation whose quote re-reads exactly from its file and passes
the grounding judge; the test prints how many of the model's sentences were dropped.
"""

from __future__ import annotations

import re

import pytest

from rag.grounding.verify import is_supported

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason='the LLM extra is not installed (pip install -e ".[llm]")')

_SENTENCE = re.compile(r"(.+?)\s\[(\d+)\](?:\s|$)")
_LEAD = re.compile(r"^According to [^:]{1,80}: ")


@pytest.fixture(scope="module")
def smol(assistant):
    from rag import Assistant

    return Assistant(home=assistant.settings.home, embedder=assistant.embedder, mode="llm", llm_max_tokens=96)


def test_smollm2_shows_only_verified_sentences(smol, acceptance, repo, capsys) -> None:
    rows = []
    for q in [q for q in acceptance if q["answerable"]]:
        ans = smol.ask(q["question"])
        by_id = {c.id: c for c in ans.citations}
        for c in ans.citations:  # the invariant, checked independently of rag/
            assert (repo / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
        shown = [(m.group(1).strip(), int(m.group(2))) for m in _SENTENCE.finditer(ans.text)]
        if not ans.abstained:
            assert " ".join(f"{s} [{n}]" for s, n in shown) == ans.text, ans.text  # no uncited text
        for sentence, n in shown:
            quote = by_id[n].quote
            if ans.mode == "llm":
                assert is_supported(quote, sentence), (q["id"], sentence, quote)
            else:  # the extractive fallback shows the quote itself
                assert _LEAD.sub("", sentence) == quote
        rows.append((q["id"], ans.mode, len(shown), len(ans.unsupported), ans.text))
    with capsys.disabled():
        print(f"\nSmolLM2-135M, llm mode, {len(rows)} answerable acceptance questions")
        for qid, mode, kept, dropped, text in rows:
            print(f"  {qid}: {mode:10s} shown {kept}  dropped {dropped}  | {text[:110]}")
        llm = [r for r in rows if r[1] == "llm"]
        print(
            f"  verified LLM answers {len(llm)}/{len(rows)}; sentences shown {sum(r[2] for r in llm)}, "
            f"dropped {sum(r[3] for r in rows)} (all questions)"
        )
    assert rows


def test_gguf_by_path_uses_its_own_chat_template(tmp_path) -> None:
    from rag.answer.llm import bundled_gguf, load_llm
    from rag.answer.llm_prompt import SYSTEM_PROMPT, build_messages
    from rag.settings import Settings

    other = tmp_path / "some-other-model.gguf"
    other.symlink_to(bundled_gguf())
    llm = load_llm(Settings(llm_gguf=other, llm_max_tokens=8))
    prompt = llm.messages_to_prompt(build_messages("Why?", []))
    assert prompt.startswith(f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>") and prompt.endswith("assistant\n")
    assert llm.complete(prompt, formatted=True).text.strip()
