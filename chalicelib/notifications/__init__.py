"""Order changes on the DynamoDB stream become e-mails, once, in the reader's language.

stream.py     the handler (app.on_table_change): skip what is no business change, decode the
              images with the item models, drop no-op records, hand events to the service
changes.py    old/new images → events (status transitions, documents, messages, new users)
events.py     event → recipients: the notification table of PRODUCT.md; composes the e-mails
templates.py  templates/{en,fr,pl,bg}.json (words, plain text) + templates/layout.json (shape)
service.py    NotificationService: claim (storage/notified.py) → send → mark sent / release
sender.py     the EmailSender port: SES v2 (raw MIME, throttling backoff)
"""
