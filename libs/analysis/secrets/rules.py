"""Provider credential formats, as the providers document them.

Each rule names the lowercase keywords (anchors) the prefilter looks for; the rule's
pattern runs only where an anchor occurs: at the anchor ("at"), or on the anchor's line
("line"). The group `secret` is the credential and `body` its random part, which must
look random (entropy, no runs) and not be a placeholder.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from libs.analysis.report import Severity
from libs.analysis.secrets import filters

Mode = Literal["at", "line"]


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    anchors: tuple[str, ...]
    pattern: re.Pattern[bytes]
    severity: Severity = "high"
    mode: Mode = "at"
    min_entropy: float = 3.0
    validate: Callable[[str], bool] | None = None


def _rule(
    id: str,
    description: str,
    anchors: tuple[str, ...],
    pattern: bytes,
    severity: Severity = "high",
    mode: Mode = "at",
    min_entropy: float = 3.0,
    validate: Callable[[str], bool] | None = None,
    flags: int = 0,
) -> Rule:
    return Rule(
        id=id,
        description=description,
        anchors=anchors,
        pattern=re.compile(pattern, flags),
        severity=severity,
        mode=mode,
        min_entropy=min_entropy,
        validate=validate,
    )


def _jwt_ok(value: str) -> bool:
    """A JWT whose header decodes to JSON naming an algorithm, and not a public anon key."""
    parts = value.split(".")
    try:
        header = json.loads(_b64url(parts[0]))
    except (ValueError, IndexError, binascii.Error):
        return False
    if not isinstance(header, dict) or "alg" not in header or header.get("alg") == "none":
        return False
    try:
        payload = json.loads(_b64url(parts[1]))
    except (ValueError, IndexError, binascii.Error):
        return True  # an opaque payload still makes a signed token
    if not isinstance(payload, dict) or not payload.keys() & _JWT_CLAIMS:
        return False  # {"some": "payload"}: a documentation example
    # Supabase "anon" keys are meant to ship to browsers
    return not (isinstance(payload, dict) and payload.get("role") == "anon")


_JWT_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "role", "scope", "email", "uid", "user_id"}
)


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _basic_ok(value: str) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    if not (sep and user and len(password) >= 4 and decoded.isprintable()):
        return False
    return password != user and not _made_up(password)


def _made_up(value: str) -> bool:
    """A placeholder, a reference or plain words (user:password, Bearer my-api-token)."""
    return (
        filters.is_placeholder(value)
        or filters.is_reference(value)
        or filters.looks_like_words(value)
        or filters.wordy_parts(value)
    )


def _bearer_ok(value: str) -> bool:
    return value.startswith("eyJ") or not _made_up(value)  # JWTs are judged by their own rule


_UUID = rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# discord.py's `bot.run("TOKEN")`: a string whose first letter can start a bot token
_RUN_CALLS = tuple(f".run({q}{c}" for q in "'\"" for c in "mno")
B = rb"(?<![A-Za-z0-9_])"  # a token starts at a word boundary
E = rb"(?![A-Za-z0-9_])"  # ... and ends at one

RULES: tuple[Rule, ...] = (
    _rule(
        "aws-access-key-id",
        "AWS access key ID",
        ("akia", "asia", "abia", "acca", "a3t"),
        B + rb"(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])(?P<body>[A-Z0-9]{16}))" + E,
        "critical",
        min_entropy=2.8,
    ),
    _rule(
        "aws-secret-access-key",
        "AWS secret access key",
        ("aws",),
        rb"(?i:aws)[\w.-]{0,20}?(?i:secret|private)[\w.-]{0,20}[\"'\]]?\s*(?:[:=]|:=|=>)\s*[\"']?"
        rb"(?P<secret>(?P<body>[A-Za-z0-9/+]{40}))(?![A-Za-z0-9/+=])",
        "critical",
        mode="line",
        min_entropy=4.0,
    ),
    _rule(
        "google-api-key",
        "Google API key (GCP, Firebase, Gemini)",
        ("aiza",),
        B + rb"(?P<secret>AIza(?P<body>[0-9A-Za-z_-]{35}))" + rb"(?![A-Za-z0-9_-])",
        "high",
    ),
    _rule(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        ("gocspx-",),
        B + rb"(?P<secret>GOCSPX-(?P<body>[A-Za-z0-9_-]{28}))" + rb"(?![A-Za-z0-9_-])",
        "high",
    ),
    _rule(
        "google-oauth-access-token",
        "Google OAuth access token",
        ("ya29.",),
        B + rb"(?P<secret>ya29\.(?P<body>[0-9A-Za-z_-]{30,}))",
        "high",
    ),
    _rule(
        "azure-storage-account-key",
        "Azure storage account key",
        ("accountkey",),
        rb"(?i:AccountKey)\s*=\s*(?P<secret>(?P<body>[A-Za-z0-9+/]{86}==))",
        "critical",
        mode="line",
    ),
    _rule(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs / IoT shared access key",
        ("sharedaccesskey",),
        rb"(?i:SharedAccessKey)\s*=\s*(?P<secret>(?P<body>[A-Za-z0-9+/]{42,44}=?))(?![A-Za-z0-9+/])",
        "critical",
        mode="line",
    ),
    _rule(
        "azure-sas-token",
        "Azure shared access signature",
        ("sig=",),
        rb"[?&]sv=\d{4}-\d\d-\d\d[^\s\"']*?[?&]sig=(?P<secret>(?P<body>[A-Za-z0-9%+/]{30,}={0,2}))"
        rb"|[?&]sig=(?P<secret2>[A-Za-z0-9%+/]{30,})[^\s\"']*?[?&]sv=\d{4}",
        "high",
        mode="line",
    ),
    _rule(
        "azure-ad-client-secret",
        "Azure AD (Entra ID) client secret",
        ("q~",),
        rb"(?<![\w~.-])(?P<secret>[a-zA-Z0-9_~.]{3}\dQ~(?P<body>[a-zA-Z0-9_~.-]{31,34}))(?![\w~.-])",
        "critical",
        mode="line",
    ),
    _rule(
        "github-token",
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        B + rb"(?P<secret>gh[pousr]_(?P<body>[A-Za-z0-9]{36,251}))" + E,
        "critical",
    ),
    _rule(
        "github-fine-grained-token",
        "GitHub fine-grained personal access token",
        ("github_pat_",),
        # GitHub documents the prefix, not the layout after it (22 + "_" + 59 today)
        B + rb"(?P<secret>github_pat_(?P<body>[A-Za-z0-9_]{30,255}))" + E,
        "critical",
    ),
    _rule(
        "autodevops-api-token",
        "AutoDevOps API token",
        ("ado_",),
        B + rb"(?P<secret>ado_(?P<body>[A-Za-z0-9_-]{20,196}))(?![A-Za-z0-9_-])",
        "critical",
    ),
    _rule(
        "gitlab-token",
        "GitLab token",
        (
            "glpat-",
            "gldt-",
            "glrt-",
            "glcbt-",
            "glft-",
            "glsoat-",
            "glimt-",
            "gloas-",
            "glagent-",
            "glffct-",
            "glptt-",
            "gr1348941",
        ),
        B + rb"(?P<secret>(?:gl(?:pat|dt|rt|cbt|ft|soat|imt|oas|agent|ffct|ptt)-|GR1348941)"
        rb"(?P<body>[A-Za-z0-9_.-]{20,}))(?![A-Za-z0-9_-])",
        "critical",
    ),
    _rule(
        "slack-token",
        "Slack token",
        ("xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe", "xapp-"),
        B + rb"(?P<secret>(?:xox[abposr]|xoxe(?:\.xox[bp])?|xapp)-(?:[0-9A-Za-z]+-)*"
        rb"(?P<body>[0-9A-Za-z]{10,250}))" + E,
        "critical",
    ),
    _rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        ("hooks.slack.com",),
        rb"(?P<secret>hooks\.slack\.com/(?:services|workflows|triggers)/"
        rb"[A-Za-z0-9]+/[A-Za-z0-9]+/(?P<body>[A-Za-z0-9]{16,}))",
        "high",
        mode="line",
    ),
    _rule(
        "stripe-secret-key",
        "Stripe secret or restricted key",
        ("sk_live_", "rk_live_", "sk_prod_", "rk_prod_"),
        B + rb"(?P<secret>[sr]k_(?:live|prod)_(?P<body>[0-9a-zA-Z]{20,247}))" + E,
        "critical",
    ),
    _rule(
        "stripe-test-key",
        "Stripe test-mode secret key",
        ("sk_test_", "rk_test_"),
        B + rb"(?P<secret>[sr]k_test_(?P<body>[0-9a-zA-Z]{20,247}))" + E,
        "medium",
    ),
    _rule(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        ("whsec_",),
        B + rb"(?P<secret>whsec_(?P<body>[A-Za-z0-9+/=]{24,}))",
        "high",
    ),
    _rule(
        "twilio-api-key",
        "Twilio API key",
        ("twilio",),
        B + rb"(?P<secret>SK(?P<body>[0-9a-fA-F]{32}))" + E,
        "high",
        mode="line",
    ),
    _rule(
        "twilio-auth-token",
        "Twilio auth token",
        ("twilio",),
        rb"(?i:twilio)[\w.-]{0,20}?(?i:token|secret)[\w.-]{0,10}[\"'\]]?\s*(?:[:=]|:=|=>)\s*[\"']?"
        rb"(?P<secret>(?P<body>[0-9a-f]{32}))" + E,
        "high",
        mode="line",
    ),
    _rule(
        "sendgrid-api-key",
        "SendGrid API key",
        ("sg.",),
        B + rb"(?P<secret>SG\.(?P<body>[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,50}))"
        rb"(?![A-Za-z0-9_-])",
        "critical",
    ),
    _rule(
        "mailgun-api-key",
        "Mailgun API key",
        ("key-",),
        rb"(?<![A-Za-z0-9_-])(?P<secret>key-(?P<body>[0-9a-f]{32}))" + E,
        "high",
    ),
    _rule(
        "mailgun-private-key",
        "Mailgun private API key",
        ("mailgun",),
        B + rb"(?P<secret>(?P<body>[0-9a-f]{32})-[0-9a-f]{8}-[0-9a-f]{8})" + E,
        "high",
        mode="line",
    ),
    _rule(
        "mailchimp-api-key",
        "Mailchimp API key",
        ("-us",),
        B + rb"(?P<secret>(?P<body>[0-9a-f]{32})-us\d{1,2})" + E,
        "high",
        mode="line",
    ),
    _rule(
        "openai-api-key",
        "OpenAI API key",
        ("sk-",),
        B + rb"(?P<secret>sk-(?:(?:proj|svcacct|admin|None)-(?P<body>[A-Za-z0-9_-]{40,})"
        rb"|(?P<body2>[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})))(?![A-Za-z0-9_-])",
        "critical",
    ),
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        ("sk-ant-",),
        B + rb"(?P<secret>sk-ant-(?:api|admin|oat|sid)\d\d-(?P<body>[A-Za-z0-9_-]{32,}))"
        rb"(?![A-Za-z0-9_-])",
        "critical",
    ),
    _rule(
        "ai-provider-api-key",
        "AI provider API key (sk- format)",
        ("sk-",),
        B + rb"(?P<secret>sk-(?P<body>[A-Za-z0-9]{32,64}))(?![A-Za-z0-9_-])",
        "high",
        min_entropy=3.5,
    ),
    _rule(
        "huggingface-token",
        "Hugging Face access token",
        ("hf_",),
        B + rb"(?P<secret>hf_(?P<body>[A-Za-z0-9]{34,40}))" + E,
        "high",
        min_entropy=3.5,
    ),
    _rule(
        "groq-api-key",
        "Groq API key",
        ("gsk_",),
        B + rb"(?P<secret>gsk_(?P<body>[A-Za-z0-9]{48,60}))" + E,
        "high",
    ),
    _rule(
        "xai-api-key",
        "xAI API key",
        ("xai-",),
        B + rb"(?P<secret>xai-(?P<body>[A-Za-z0-9]{60,90}))" + E,
        "high",
    ),
    _rule(
        "replicate-api-token",
        "Replicate API token",
        ("r8_",),
        B + rb"(?P<secret>r8_(?P<body>[A-Za-z0-9]{37}))" + E,
        "high",
    ),
    _rule(
        "perplexity-api-key",
        "Perplexity API key",
        ("pplx-",),
        B + rb"(?P<secret>pplx-(?P<body>[A-Za-z0-9]{40,60}))" + E,
        "high",
    ),
    _rule(
        "npm-token",
        "npm access token",
        ("npm_",),
        B + rb"(?P<secret>npm_(?P<body>[A-Za-z0-9]{36}))" + E,
        "critical",
    ),
    _rule(
        "npmrc-auth",
        "npm registry credential in .npmrc",
        ("_authtoken", "_auth=", "_password="),
        rb"(?:^[ \t]*|:)(?:_authToken|_auth|_password)\s*=\s*[\"']?"
        rb"(?P<secret>(?P<body>[A-Za-z0-9+/=._~-]{16,}))",
        "critical",
        mode="line",
        flags=re.M,
    ),
    _rule(
        "pypi-token",
        "PyPI API token",
        ("pypi-",),
        B + rb"(?P<secret>pypi-(?P<body>AgE[A-Za-z0-9_-]{50,}))",
        "critical",
    ),
    _rule(
        "rubygems-api-key",
        "RubyGems API key",
        ("rubygems_",),
        B + rb"(?P<secret>rubygems_(?P<body>[a-f0-9]{48}))" + E,
        "critical",
    ),
    _rule(
        "nuget-api-key",
        "NuGet API key",
        ("oy2",),
        B + rb"(?P<secret>oy2(?P<body>[a-z0-9]{43}))" + E,
        "high",
    ),
    _rule(
        "dockerhub-token",
        "Docker Hub personal access token",
        ("dckr_pat_", "dckr_oat_"),
        B + rb"(?P<secret>dckr_(?:pat|oat)_(?P<body>[A-Za-z0-9_-]{27,}))",
        "critical",
    ),
    _rule(
        "docker-config-auth",
        "Registry credentials in a Docker config",
        ('"auth"',),
        rb"\"auth\"\s*:\s*\"(?P<secret>(?P<body>[A-Za-z0-9+/]{12,}={0,2}))\"",
        "high",
        mode="line",
        validate=_basic_ok,
    ),
    _rule(
        "shopify-token",
        "Shopify access token",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        B + rb"(?P<secret>shp(?:at|ca|pa|ss)_(?P<body>[a-fA-F0-9]{32}))" + E,
        "critical",
    ),
    _rule(
        "atlassian-api-token",
        "Atlassian API token",
        ("atatt3",),
        B + rb"(?P<secret>ATATT3(?P<body>[A-Za-z0-9_=-]{100,}))",
        "high",
    ),
    _rule(
        "digitalocean-token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        B + rb"(?P<secret>do[opr]_v1_(?P<body>[a-f0-9]{64}))" + E,
        "critical",
    ),
    _rule(
        "discord-webhook",
        "Discord webhook URL",
        ("/api/webhooks/",),
        rb"(?P<secret>discord(?:app)?\.com/api/webhooks/\d{5,}/(?P<body>[A-Za-z0-9_-]{40,}))",
        "high",
        mode="line",
    ),
    _rule(
        "telegram-bot-token",
        "Telegram bot token",
        (":aa",),
        B + rb"(?P<secret>\d{8,10}:AA(?P<body>[0-9A-Za-z_-]{32,33}))(?![A-Za-z0-9_-])",
        "high",
        mode="line",
    ),
    _rule(
        "square-token",
        "Square access token or application secret",
        ("sq0atp-", "sq0csp-"),
        B + rb"(?P<secret>sq0(?:atp|csp)-(?P<body>[0-9A-Za-z_-]{22,43}))",
        "critical",
    ),
    _rule(
        "braintree-access-token",
        "PayPal Braintree access token",
        ("access_token$production$",),
        rb"(?P<secret>access_token\$production\$[0-9a-z]{16}\$(?P<body>[0-9a-f]{32}))",
        "critical",
    ),
    _rule(
        "facebook-access-token",
        "Facebook access token",
        ("eaa",),
        B + rb"(?P<secret>EAA[A-Z][A-Za-z0-9]{0,4}(?P<body>[A-Za-z0-9]{90,}))" + E,
        "high",
        min_entropy=4.0,
    ),
    _rule(
        "twitter-bearer-token",
        "Twitter/X bearer token",
        ("aaaaaaaaaaaaaaaaaaaaa",),
        rb"(?P<secret>A{22}(?P<body>[A-Za-z0-9%]{40,}))",
        "high",
        mode="line",
    ),
    _rule(
        "mapbox-secret-token",
        "Mapbox secret token",
        ("sk.eyj",),
        B + rb"(?P<secret>sk\.eyJ(?P<body>[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}))",
        "high",
    ),
    _rule(
        "databricks-token",
        "Databricks access token",
        ("dapi",),
        B + rb"(?P<secret>dapi(?P<body>[a-f0-9]{32})(?:-\d)?)" + E,
        "high",
    ),
    _rule(
        "vault-token",
        "HashiCorp Vault token",
        ("hvs.", "hvb."),
        B + rb"(?P<secret>hv[sb]\.(?P<body>[A-Za-z0-9_-]{24,}))",
        "critical",
    ),
    _rule(
        "terraform-cloud-token",
        "Terraform Cloud / HCP token",
        (".atlasv1.",),
        B + rb"(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.(?P<body>[A-Za-z0-9_=-]{60,70}))",
        "critical",
        mode="line",
    ),
    _rule(
        "grafana-token",
        "Grafana token",
        ("glc_", "glsa_"),
        B + rb"(?P<secret>(?:glc_(?P<body>[A-Za-z0-9+/]{32,400}={0,2})"
        rb"|glsa_(?P<body2>[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})))",
        "high",
    ),
    _rule(
        "newrelic-key",
        "New Relic key",
        ("nrak-", "nrii-", "nrjs-"),
        B + rb"(?P<secret>NR(?:AK|II|JS)-(?P<body>[A-Z0-9]{19,27}))" + E,
        "high",
    ),
    _rule(
        "sentry-token",
        "Sentry auth token",
        ("sntrys_", "sntryu_"),
        B + rb"(?P<secret>(?:sntrys_(?P<body>eyJ[A-Za-z0-9+/=_-]{60,})"
        rb"|sntryu_(?P<body2>[a-f0-9]{64})))",
        "high",
    ),
    _rule(
        "linear-api-key",
        "Linear API key",
        ("lin_api_",),
        B + rb"(?P<secret>lin_api_(?P<body>[A-Za-z0-9]{40}))" + E,
        "high",
    ),
    _rule(
        "notion-token",
        "Notion integration token",
        ("secret_", "ntn_"),
        B + rb"(?P<secret>(?:secret_(?P<body>[A-Za-z0-9]{43})"
        rb"|ntn_(?P<body2>[0-9]{11}[A-Za-z0-9]{35})))" + E,
        "high",
        min_entropy=3.8,
    ),
    _rule(
        "postman-api-key",
        "Postman API key",
        ("pmak-",),
        B + rb"(?P<secret>PMAK-(?P<body>[a-f0-9]{24}-[a-f0-9]{34}))" + E,
        "high",
    ),
    _rule(
        "pulumi-token",
        "Pulumi access token",
        ("pul-",),
        B + rb"(?P<secret>pul-(?P<body>[a-f0-9]{40}))" + E,
        "high",
    ),
    _rule(
        "dynatrace-token",
        "Dynatrace API token",
        ("dt0c01.",),
        B + rb"(?P<secret>dt0c01\.(?P<body>[A-Z0-9]{24}\.[A-Z0-9]{64}))" + E,
        "high",
    ),
    _rule(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey ID",
        ("ltai",),
        B + rb"(?P<secret>LTAI(?P<body>[A-Za-z0-9]{12,20}))" + E,
        "high",
    ),
    _rule(
        "age-secret-key",
        "age encryption secret key",
        ("age-secret-key-1",),
        rb"(?P<secret>AGE-SECRET-KEY-1(?P<body>[0-9A-Z]{58}))",
        "critical",
    ),
    _rule(
        "heroku-api-key",
        "Heroku API key",
        ("hrku-", "heroku"),
        rb"(?P<secret>HRKU-(?P<body>[A-Za-z0-9_-]{60}))|(?i:heroku)[\w.-]{0,20}?(?i:key|token)"
        rb"[\w.-]{0,10}[\"'\]]?(?:\s*(?:[:=]|:=|=>)\s*|[ \t]+)[\"']?(?P<secret2>"
        + _UUID
        + rb")"
        + E,
        "high",
        mode="line",
    ),
    _rule(
        # the key under a Heroku context a few lines up: `machine api.heroku.com` in .netrc
        # (then `password KEY`), `provider: heroku` in .travis.yml (then `api_key: KEY`)
        "heroku-api-key",
        "Heroku API key",
        ("heroku",),
        rb"heroku(?:[^\n]*\n){0,3}?[^\n]*?(?<![\w-])(?i:api_key|password)[\"']?[ \t]*[:=]?[ \t]*"
        rb"[\"']?(?P<secret>" + _UUID + rb")" + E,
        "high",
        flags=re.I,
    ),
    _rule(
        "discord-bot-token",
        "Discord bot token",
        # the token has no fixed prefix: it is looked for where a bot is configured or logs in
        ("discord", ".login(", "bot_token", "bot-token", "bottoken", *_RUN_CALLS),
        rb"(?<![\w-])(?P<secret>[MNO][A-Za-z\d]{23,25}\.[\w-]{6}\.(?P<body>[\w-]{27,40}))"
        rb"(?![\w-])",
        "high",
        mode="line",
    ),
    _rule(
        "firebase-cloud-messaging-key",
        "Firebase Cloud Messaging server key",
        (":apa91b",),
        rb"(?P<secret>AAAA[A-Za-z0-9_-]{7}:APA91b(?P<body>[A-Za-z0-9_-]{120,}))",
        "high",
        mode="line",
    ),
    _rule(
        "supabase-token",
        "Supabase access token or secret key",
        ("sbp_", "sb_secret_"),
        B + rb"(?P<secret>(?:sbp_(?P<body>[a-f0-9]{40})|sb_secret_(?P<body2>[A-Za-z0-9_-]{20,})))",
        "critical",
    ),
    _rule(
        "planetscale-token",
        "PlanetScale token or password",
        ("pscale_",),
        B + rb"(?P<secret>pscale_(?:tkn|pw|oauth)_(?P<body>[A-Za-z0-9_.-]{32,64}))",
        "high",
    ),
    _rule(
        "doppler-token",
        "Doppler token",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        B + rb"(?P<secret>dp\.(?:pt|st|sa|ct|scim|audit)\.(?P<body>[A-Za-z0-9]{40,44}))",
        "high",
    ),
    _rule(
        "shippo-token",
        "Shippo API token",
        ("shippo_live_", "shippo_test_"),
        B + rb"(?P<secret>shippo_(?:live|test)_(?P<body>[a-f0-9]{40}))" + E,
        "high",
    ),
    _rule(
        "flutterwave-key",
        "Flutterwave secret key",
        ("flwseck",),
        B + rb"(?P<secret>FLWSECK(?:_TEST)?-(?P<body>[a-h0-9]{32})-X)",
        "high",
    ),
    _rule(
        "artifactory-token",
        "JFrog Artifactory API key",
        ("akcp",),
        B + rb"(?P<secret>AKCp(?P<body>[A-Za-z0-9]{69}))" + E,
        "high",
    ),
    _rule(
        "jwt",
        "JSON Web Token",
        ("eyj",),
        B
        + rb"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.(?P<body>[A-Za-z0-9_-]{16,}))",
        "medium",
        min_entropy=3.0,
        validate=_jwt_ok,
    ),
    _rule(
        "http-basic-auth",
        "HTTP Basic credentials in an Authorization header",
        ("basic ",),
        rb"(?i:authorization|auth)[\"']?\s*[:=,]\s*[\"']?(?i:basic)\s+"
        rb"(?P<secret>(?P<body>[A-Za-z0-9+/]{12,}={0,2}))",
        "high",
        mode="line",
        validate=_basic_ok,
    ),
    _rule(
        "http-bearer-token",
        "Bearer token in an Authorization header",
        ("bearer ",),
        rb"(?i:bearer)\s+(?P<secret>(?P<body>[A-Za-z0-9._~+/-]{20,}={0,2}))(?![A-Za-z0-9._~+/=-])",
        "high",
        mode="line",
        min_entropy=3.5,
        validate=_bearer_ok,
    ),
)
