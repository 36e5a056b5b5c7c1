"""The generator seam: extractive (no model) by default, any OpenAI-compatible endpoint in production."""
