"""factory_boy factories for the catalogue.

Named `model_factories` because `tests/factories/` is the package that mirrors the `factories` app.
"""

from __future__ import annotations

import factory as fb

from factories.models import AIFactory, Source, System


class AIFactoryFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = AIFactory

    name = fb.Sequence(lambda n: f"Test AI Factory {n}")
    short_name = fb.Sequence(lambda n: f"TAIF {n}")
    slug = fb.Sequence(lambda n: f"test-aif-{n}")
    city = fb.Sequence(lambda n: f"Testville {n}")
    country = "PT"
    host_entity = "Test Computing Centre"
    partners = "Portugal\nSpain"
    wave = 2


class SystemFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = System

    factory = fb.SubFactory(AIFactoryFactory)
    name = fb.Sequence(lambda n: f"Test System {n}")
    slug = fb.Sequence(lambda n: f"test-system-{n}")
    kind = System.Kind.SUPERCOMPUTER
    origin = System.Origin.NEW
    status = System.Status.PLANNED
    accelerator = "NVIDIA H200"
    accelerator_count = 1024


class SourceFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Source

    system = fb.SubFactory(SystemFactory)
    url = fb.Sequence(lambda n: f"https://example.org/news/{n}")
    confidence = Source.Confidence.MEDIUM


def create_factories_with_systems(count: int, **factory_fields) -> list[AIFactory]:
    """`count` factories, each with a supercomputer, an experimental platform and a source.

    Built by the factories above and written with three bulk inserts, so that growing the
    catalogue tenfold stays fast. No history rows and no signals: clear the cache yourself.
    """
    factories = AIFactory.objects.bulk_create(AIFactoryFactory.build_batch(count, **factory_fields))
    System.objects.bulk_create(
        system
        for factory in factories
        for system in [
            SystemFactory.build(factory=factory),
            SystemFactory.build(
                factory=factory, kind=System.Kind.EXPERIMENTAL, status="", accelerator_count=None
            ),
        ]
    )
    Source.objects.bulk_create(SourceFactory.build(factory=f, system=None) for f in factories)
    return factories


# --- People (accounts, site roles) ------------------------------------------------------------


class UserFactory(fb.django.DjangoModelFactory):
    """A portal user with a name ("Test Person 3"; pass `first_name=""`, `last_name=""` for an
    account from before names were asked for). Their email address is verified in allauth
    unless `verified_email=False`."""

    class Meta:
        model = "accounts.User"
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = fb.Sequence(lambda n: f"user{n}@example.org")
    first_name = "Test"
    last_name = fb.Sequence(lambda n: f"Person {n}")
    password = fb.django.Password("a-long-test-password")

    @fb.post_generation
    def verified_email(user, create, extracted, **kwargs):
        if create:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=user,
                email=user.email,
                defaults={"verified": extracted is not False, "primary": True},
            )


class SiteRoleFactory(fb.django.DjangoModelFactory):
    """A reviewer's (or approver's) role at a factory."""

    class Meta:
        model = "reviews.SiteRole"

    user = fb.SubFactory(UserFactory)
    factory = fb.SubFactory(AIFactoryFactory)
    role = "technical"
