"""Sign-in through OpenID Connect providers (MyAccessID and others): their configuration from the
environment (`config`) and allauth's provider keyed on the configured claim (`provider`)."""
