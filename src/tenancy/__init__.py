"""Who is acting and what they may touch: authentication, sessions, Actor, Casbin policy."""
