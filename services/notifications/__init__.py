"""Notifications to the declarant: the policy that asks for them, the templates, the sender
(`claims notify`) and the delivery reports (docs/adr/0034-notifications.md)."""
