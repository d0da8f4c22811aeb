"""Delivery channels: the I/O edge that sends what ``digest/`` composed.

``smtp`` sends an email, ``outbox`` writes it as an .eml file when no SMTP server is configured,
``git_archive`` commits the Markdown archive (and pushes it). Every failure is a DeliveryError
that says which channel, where, and what to do.
"""
