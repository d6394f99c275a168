"""Analytics collection (architecture A): scheduled runs recorded in the raw analytics store."""
