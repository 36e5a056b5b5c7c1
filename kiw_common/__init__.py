"""Vocabulary shared by graph/, indexer/, skills/ and bot/: words every package must spell alike.

It imports nothing of the project, so any package may import it without a cycle, and nothing
of the Bot Framework SDK (the rule for everything outside bot/).
"""
