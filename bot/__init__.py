"""The bot service: aiohttp app, Bot Framework adapter (the only place the SDK is imported), CLI."""
