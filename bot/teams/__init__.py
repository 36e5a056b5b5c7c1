"""The Teams edge: everything that imports the Bot Framework SDK (botbuilder, botframework-
connector, msrest) lives here, and nothing outside this package imports it. The adapter and its
JWT checks, the Teams handler, reply delivery (plain, placeholder then update, streaming), the
conversation roster. A move to the Microsoft 365 Agents SDK replaces this one folder.
"""
