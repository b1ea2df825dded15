"""The command surface: what /help lists and what setMyCommands registers."""

USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Subscribe to the digest"),
    ("stop", "Unsubscribe"),
    ("digest", "The digest as it would go out now"),
    ("latest", "Newest headlines, numbered"),
    ("summary", "Summary and key points: /summary 2"),
    ("quotes", "Who said what: /quotes or /quotes Zelenskyy"),
    ("figures", "Key figures: /figures or /figures 2"),
    ("settings", "Time, time zone, frequency, quiet hours, length, language"),
    ("topics", "Follow or mute topics"),
    ("follow", "Only news mentioning a word or person: /follow Zelenskyy"),
    ("unfollow", "Stop following: /unfollow Zelenskyy"),
    ("search", "Find recent articles: /search ceasefire talks"),
    ("quote_of_the_day", "Today's most notable quote"),
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
    ("publish_to", "Post editions to a channel: /publish_to @channel, list, remove @channel"),
    ("broadcast", "Send a message to every subscriber (asks first): /broadcast TEXT"),
    ("subscribers", "Subscriber counts and the newest subscribers"),
)
