"""Documents whose text holds script tags, event-handler attributes and template syntax."""

from __future__ import annotations

EVIL_TXT = """Zorblat Gazette

The Zorblat lantern festival in Quenton is held every April, and its banner reads <script>window.__pwned=1</script> in large letters.
Visitors who arrive late see a poster showing <img src=x onerror="window.__pwned=1"> beside the gate.
Organisers also print ${window.__pwned=1} and {{constructor.constructor('window.__pwned=1')()}} on tickets as a joke.
"""  # noqa: E501

EVIL_HTML = """<!doctype html>
<html><head><title>Quenton market notes</title><script>window.__pwned=1</script></head>
<body>
<p>The Quenton glass market opens every Tuesday, and its sign shows &lt;script&gt;window.__pwned=1&lt;/script&gt; as a warning.</p>
<p>Visitors see <img src=x onerror="window.__pwned=1"> a red door <b onmouseover="window.__pwned=1">on</b> the market hall.</p>
</body></html>
"""  # noqa: E501

EVIL_SIDECAR = """["zorblat.txt"]
publisher = "Zorblat <img src=x onerror=window.__pwned=1> Gazette"
title = "<script>window.__pwned=1</script> Lantern festival"
date = "2024"
"""
