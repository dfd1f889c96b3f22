"""What an application's project is about, as the form offers it: the AI domain, the workload,
the GDPR basis and the EU AI Act risk self-assessment."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AIDomain(models.TextChoices):
    FOUNDATION = "foundation_models", _("Foundation models / LLM")
    HEALTH = "health", _("Health")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    CLIMATE = "climate", _("Climate")
    CYBERSECURITY = "cybersecurity", _("Cybersecurity")
    OTHER = "other", _("Other")


class Workload(models.TextChoices):
    TRAINING = "training", _("Training")
    FINE_TUNING = "fine_tuning", _("Fine-tuning")
    INFERENCE = "inference", _("Inference")


class GDPRBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (Art. 6(1)(a))")
    CONTRACT = "contract", _("Contract (Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("Public task (Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (Art. 6(1)(f))")


class AIActRisk(models.TextChoices):
    MINIMAL = "minimal", _("Minimal risk")
    LIMITED = "limited", _("Limited risk (transparency obligations)")
    HIGH = "high", _("High risk")
    GPAI = "gpai", _("General-purpose AI model")
    PROHIBITED = "prohibited", _("Prohibited practice")
