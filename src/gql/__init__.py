"""Strawberry schema: types, queries, mutations, dataloaders, error mapping. Thin."""
