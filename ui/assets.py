"""The page's CSS and the one small script: clicking an ``[n]`` chip brings its source up."""

from __future__ import annotations

__all__ = ["CSS", "HEAD"]

CSS = """
.cite-chip { display:inline-block; min-width:1.4em; padding:0 .35em; margin:0 .1em; border-radius:.7em;
  background:#2563eb; color:#fff !important; font-size:.78em; font-weight:600; line-height:1.5em;
  text-align:center; text-decoration:none !important; cursor:pointer; vertical-align:baseline; }
.cite-chip:hover, .cite-chip:focus { background:#1d4ed8; outline:2px solid #93c5fd; }
.rag-abstain { border-left:4px solid #d97706; background:#fffbeb; color:#78350f; padding:.5em .75em; }
.rag-abstain-title { font-weight:700; text-transform:uppercase; font-size:.8em; letter-spacing:.04em; }
.rag-error { border-left:4px solid #dc2626; background:#fef2f2; color:#7f1d1d; padding:.5em .75em; }
.rag-asked { margin-top:.4em; font-size:.8em; opacity:.7; }
.rag-streaming::after { content:"▍"; opacity:.6; }
#rag-sources { max-height:70vh; overflow-y:auto; }
.rag-turn { margin:.3em 0; }
.rag-turn > summary { cursor:pointer; font-weight:600; }
.rag-src { border:1px solid #e5e7eb; border-radius:8px; padding:.6em .8em; margin:.5em 0; scroll-margin:1em; }
.rag-src.rag-active { border-color:#2563eb; box-shadow:0 0 0 3px #bfdbfe; }
.rag-src-n { display:inline-block; min-width:1.4em; border-radius:.7em; background:#2563eb; color:#fff;
  text-align:center; font-size:.78em; font-weight:600; }
.rag-src-context { margin:.4em 0; line-height:1.5; }
.rag-src-loc, .rag-article-note { font-size:.75em; opacity:.65; font-family:ui-monospace, monospace; }
mark.rag-quote { background:#fde68a; color:inherit; padding:0 .1em; border-radius:2px; }
.rag-article { max-width:48em; line-height:1.6; }
.rag-article header { margin-bottom:1em; }
.cite-chip.cite-stale { background:#9ca3af; text-decoration:line-through !important; }
.rag-src-stale { border-style:dashed; opacity:.85; }
.rag-stale-note { font-size:.8em; color:#92400e; background:#fffbeb; padding:.2em .4em; margin-bottom:.3em; }
.rag-status { padding:.4em .6em; border-radius:6px; }
.rag-status-busy { background:#eff6ff; color:#1e3a8a; }
.rag-status-busy::before { content:"⏳ "; }
.rag-status-error { background:#fef2f2; color:#7f1d1d; }
.rag-doclist table { width:100%; border-collapse:collapse; font-size:.9em; }
.rag-doclist th, .rag-doclist td { text-align:left; padding:.25em .5em; border-bottom:1px solid #e5e7eb; }
.rag-doclist .rag-num { text-align:right; }
.rag-doclist-head { font-weight:600; margin-bottom:.3em; }
.rag-confirm { color:#7f1d1d; }
"""

# A document-level script (Gradio runs <script> tags given in ``head``). Event delegation on the
# document survives every re-render of the chat; no inline handlers are needed (or allowed through).
HEAD = r"""
<script>
(() => {
  if (window.__ragCites) return;
  window.__ragCites = true;
  function show(id) {
    const card = /^src-\d+-\d+$/.test(id) ? document.getElementById(id) : null;
    if (!card) return;
    const fold = card.closest("details");
    if (fold) fold.open = true;
    document.querySelectorAll(".rag-src.rag-active").forEach((e) => e.classList.remove("rag-active"));
    card.classList.add("rag-active");
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  document.addEventListener("click", (ev) => {
    const chip = ev.target instanceof Element ? ev.target.closest("a.cite-chip") : null;
    if (!chip) return;
    ev.preventDefault();
    ev.stopPropagation();
    show((chip.getAttribute("href") || "").slice(1));
  }, true);
})();
</script>
"""
