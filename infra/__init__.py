"""Deployment: the infra CloudFormation template and the helpers around `chalice deploy`/`package`."""
