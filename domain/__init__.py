"""The DMS domain: model, pricing, commands and services. Imports no framework."""
