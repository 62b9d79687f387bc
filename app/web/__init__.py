"""The web pages (server-rendered, Vietnamese first): one folder per page or feature."""
