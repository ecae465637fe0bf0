"""Entities (Tortoise models) and business rules, by area. Imports nothing else of evcms."""
