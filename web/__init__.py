"""The shared web kernel: what every domain's routes use (errors as HTTP answers, request reading,
responses, rendering, templates, languages, caches), and the few plain pieces their use cases share
(messages and errors, the database engines, change announcements). It imports no domain package."""
