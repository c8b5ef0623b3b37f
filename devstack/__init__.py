"""The local stack behind `make run`: an AWS emulator (moto server), the Chalice app over HTTP, a
worker that feeds the table's stream to the Lambda stream handler, an outbox for sent e-mail, and a
demo tenant. Development only: nothing in app.py or Lambda code imports this package.
"""
