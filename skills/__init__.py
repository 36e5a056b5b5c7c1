"""Skills: one module per skill, one entry point each; no aiohttp, no Bot Framework SDK here."""
