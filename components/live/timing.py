"""Every timing setting of the live view, in one place. While training, the feed sends the numbers
each beat, the loss curve less often and the pictures less often still: redrawing them is what the
browser spends its time on, and a click must not wait behind it."""

BEAT_S = 0.15  # the numbers about six times a second
CURVE_S = 0.45  # the loss curve about twice a second
CHARTS_S = 1.0  # the pictures (boundary, neurons, samples...) once a second
IDLE_S = 15.0  # idle, a comment this often keeps the connection open
RETRY_AFTER_S = 30  # a frame the server refuses a stream waits this long (the page's runs show the numbers meanwhile)
UNFED_POLL_S = 0.5  # only where the feed's route is not served (tests): the page's live part polls instead
