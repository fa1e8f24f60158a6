"""The live view: what a run shows while it trains (figures, numbers, the frame that draws them)
and the feed that streams them to the browser."""
