"""`python -m gql > schema.graphql` prints the SDL (also `evcms export-schema`)."""

from gql.schema import sdl

print(sdl(), end="")
