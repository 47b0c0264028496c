"""The Gradio chat page (``rag ui``): cited answers, sources panel, document viewer, ``ask`` API."""
