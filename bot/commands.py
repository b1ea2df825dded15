"""The command surface: what /help lists and what setMyCommands registers."""

USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Subscribe to the digest"),
    ("stop", "Unsubscribe"),
    ("digest", "The digest as it would go out now"),
    ("latest", "Newest headlines, numbered"),
    ("summary", "Summary and key points: /summary 2"),
    ("quotes", "Who said what: /quotes or /quotes Zelenskyy"),
    ("figures", "Key figures: /figures or /figures 2"),
    ("settings", "Your subscription, time zone and editions"),
    ("help", "What this bot can do"),
)

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/summary 1", "the newest article in full"),
    ("/quotes Zelenskyy", "what one person said lately"),
    ("/figures 2", "the numbers in the second article"),
)

ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("stats", "Subscribers, articles and deliveries"),
    ("publish", "Publish an edition now: /publish morning"),
)
