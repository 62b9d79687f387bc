"""The auditor's pages: search calls and cases, play a recording with its transcript, verify, download evidence."""
