"""SMS for basic phones: segment counting, numbered menus, keywords, sender countries."""

# Input channel names of the SMS gateways (tracker.get_latest_input_channel()), and the
# output channel name that selects `channel: sms` response variations.
SMS_INPUT_CHANNELS = frozenset({"twilio", "africastalking", "sms_simulator"})
SMS_OUTPUT_CHANNEL = "sms"
# Default per-reply budget of SMS segments (issue 5); the channel's credentials may change it.
DEFAULT_SEGMENT_BUDGET = 3
