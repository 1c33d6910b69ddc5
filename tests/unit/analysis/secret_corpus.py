# ruff: noqa: E501 - realistic samples are long lines
"""Fake credentials in realistic formats, and look-alikes that are not credentials.

The fakes are generated from a seeded RNG when the tests run, so no credential-shaped
string is committed (GitHub push protection and our own scanner would flag them).
Each sample is (name, path, text, expected rule ids); look-alikes expect nothing.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


@dataclass(frozen=True)
class Sample:
    name: str
    path: str
    text: str
    rules: frozenset[str]  # empty for a look-alike


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def uuid(self) -> str:
        parts = [self.s(HEX, 8), self.s(HEX, 4), "4" + self.s(HEX, 3), self.s("89ab", 1)]
        parts[3] += self.s(HEX, 3)
        return "-".join([*parts, self.s(HEX, 12)])

    def password(self) -> str:
        parts = [self.s(string.ascii_uppercase, 2), self.s(string.ascii_lowercase, 5)]
        parts += [self.s(string.digits, 3), self.s("!#%&*+-=?@^_", 2), self.s(ALNUM, 3)]
        chars = list("".join(parts))
        self.rng.shuffle(chars)
        return "".join(chars)

    def pem(self, kind: str = "RSA PRIVATE KEY", lines: int = 12) -> str:
        body = "\n".join(self.s(B64, 64) for _ in range(lines))
        return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"

    def jwt(self, claims: dict[str, object]) -> str:
        def enc(obj: dict[str, object]) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        return f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(claims)}.{self.s(URLSAFE, 43)}"


def positives(seed: int = 7) -> list[Sample]:
    g = Gen(seed)
    aws_id = "AKIA" + g.s(UPPER_DIGITS, 16)
    aws_secret = g.s(B64, 40)
    snowflake = g.s(string.digits[1:], 1) + g.s(string.digits, 17)  # a Discord user id
    discord_id = base64.b64encode(snowflake.encode()).decode().rstrip("=")
    out: list[tuple[str, str, str, set[str]]] = [
        (
            "aws-credentials-file",
            ".aws/credentials",
            f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n",
            {"aws-access-key-id", "aws-secret-access-key"},
        ),
        (
            "aws-python",
            "settings.py",
            f'AWS_ACCESS_KEY_ID = "{"ASIA" + g.s(UPPER_DIGITS, 16)}"\n',
            {"aws-access-key-id"},
        ),
        (
            "aws-secret-env",
            ".env",
            f"AWS_SECRET_ACCESS_KEY={g.s(B64, 40)}\n",
            {"aws-secret-access-key"},
        ),
        (
            "aws-secret-json",
            "config/aws.json",
            json.dumps({"region": "eu-west-1", "aws_secret_access_key": g.s(B64, 40)}),
            {"aws-secret-access-key"},
        ),
        (
            "gcp-service-account",
            "gcp-sa.json",
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "acme-prod",
                    "private_key_id": g.s(HEX, 40),
                    "private_key": g.pem("PRIVATE KEY", 25),
                    "client_email": "deployer@acme-prod.iam.gserviceaccount.com",
                },
                indent=2,
            ),
            {"private-key"},
        ),
        (
            "firebase-js",
            "src/firebase.js",
            'const firebaseConfig = {\n  apiKey: "AIza'
            + g.s(URLSAFE, 35)
            + '",\n  authDomain: "acme.firebaseapp.com",\n};\n',
            {"google-api-key"},
        ),
        ("gemini-env", ".env", f"GEMINI_API_KEY=AIza{g.s(URLSAFE, 35)}\n", {"google-api-key"}),
        (
            "google-oauth-secret",
            "client_secret.json",
            json.dumps({"web": {"client_secret": "GOCSPX-" + g.s(URLSAFE, 28)}}),
            {"google-oauth-client-secret"},
        ),
        (
            "google-access-token-curl",
            "scripts/call.sh",
            f'curl -H "Authorization: Bearer ya29.{g.s(URLSAFE, 120)}" https://www.googleapis.com/drive/v3/files\n',
            {"google-oauth-access-token"},
        ),
        (
            "azure-storage",
            "appsettings.json",
            json.dumps(
                {
                    "Storage": "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey="
                    + g.s(B64, 86)
                    + "==;EndpointSuffix=core.windows.net"
                }
            ),
            {"azure-storage-account-key"},
        ),
        (
            "azure-service-bus",
            "local.settings.json",
            json.dumps(
                {
                    "ServiceBus": "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName="
                    "RootManageSharedAccessKey;SharedAccessKey=" + g.s(B64, 43) + "="
                }
            ),
            {"azure-shared-access-key"},
        ),
        (
            "azure-ad-secret",
            ".env",
            f"AZURE_CLIENT_SECRET={g.s(ALNUM, 3)}8Q~{g.s(ALNUM + '_~.-', 34)}\n",
            {"azure-ad-client-secret", "generic-secret"},
        ),
        (
            "azure-sas-url",
            "deploy/upload.sh",
            "az storage blob upload --blob-url 'https://acme.blob.core.windows.net/builds/app.zip"
            f"?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2030-01-01T00:00:00Z&sig={g.s(ALNUM, 43)}%3D'\n",
            {"azure-sas-token"},
        ),
        (
            "github-pat-shell",
            "scripts/release.sh",
            f"export GITHUB_TOKEN=ghp_{g.s(ALNUM, 36)}\n",
            {"github-token"},
        ),
        (
            "github-oauth-yaml",
            "config.yml",
            f"github:\n  token: gho_{g.s(ALNUM, 36)}\n",
            {"github-token"},
        ),
        (
            "github-fine-grained",
            ".env.production",
            f"GH_PAT=github_pat_{g.s(ALNUM, 22)}_{g.s(ALNUM, 59)}\n",
            {"github-fine-grained-token"},
        ),
        (
            "github-fine-grained-other-layout",
            "deploy/.env",
            f"GH_PAT=github_pat_{g.s(ALNUM, 82)}\n",
            {"github-fine-grained-token"},
        ),
        (
            "autodevops-api-token",
            "scripts/trigger.sh",
            f"curl -H 'Authorization: Bearer ado_{g.s(URLSAFE, 43)}' $API/v1/repos\n",
            {"autodevops-api-token"},
        ),
        (
            "github-app-token-in-url",
            "Makefile",
            f"clone:\n\tgit clone https://x-access-token:ghs_{g.s(ALNUM, 36)}@github.com/acme/app.git\n",
            {"github-token"},
        ),
        (
            "gitlab-pat",
            ".gitlab-ci.yml",
            f"variables:\n  GITLAB_TOKEN: glpat-{g.s(URLSAFE, 20)}\n",
            {"gitlab-token"},
        ),
        (
            "gitlab-runner",
            "runner/config.sh",
            f"gitlab-runner register --registration-token GR1348941{g.s(URLSAFE, 20)}\n",
            {"gitlab-token"},
        ),
        (
            "slack-bot-python",
            "bot.py",
            f'client = WebClient(token="xoxb-{g.s(string.digits, 12)}-{g.s(string.digits, 13)}-{g.s(ALNUM, 24)}")\n',
            {"slack-token"},
        ),
        (
            "slack-user-json",
            "slack.json",
            json.dumps(
                {
                    "user_token": f"xoxp-{g.s(string.digits, 12)}-{g.s(string.digits, 12)}-"
                    f"{g.s(string.digits, 13)}-{g.s(HEX, 32)}"
                }
            ),
            {"slack-token"},
        ),
        (
            "slack-webhook-env",
            ".env",
            f"SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T{g.s(UPPER_DIGITS, 8)}/B{g.s(UPPER_DIGITS, 10)}/{g.s(ALNUM, 24)}\n",
            {"slack-webhook"},
        ),
        (
            "stripe-ruby",
            "config/initializers/stripe.rb",
            f"Stripe.api_key = 'sk_live_{g.s(ALNUM, 99)}'\n",
            {"stripe-secret-key"},
        ),
        (
            "stripe-restricted-php",
            "config/services.php",
            f"<?php\nreturn ['stripe' => ['secret' => 'rk_live_{g.s(ALNUM, 24)}']];\n",
            {"stripe-secret-key"},
        ),
        (
            "stripe-webhook",
            ".env",
            f"STRIPE_WEBHOOK_SECRET=whsec_{g.s(ALNUM, 32)}\n",
            {"stripe-webhook-secret"},
        ),
        (
            "stripe-test-js",
            "server/payments.js",
            f"const stripe = require('stripe')('sk_test_{g.s(ALNUM, 24)}');\n",
            {"stripe-test-key"},
        ),
        (
            "twilio-env",
            ".env",
            f"TWILIO_ACCOUNT_SID=AC{g.s(HEX, 32)}\nTWILIO_AUTH_TOKEN={g.s(HEX, 32)}\n",
            {"twilio-auth-token"},
        ),
        (
            "twilio-api-key",
            "sms.py",
            f'twilio_api_key = "SK{g.s(HEX, 32)}"\n',
            {"twilio-api-key"},
        ),
        (
            "sendgrid-js",
            "mail.js",
            f"sgMail.setApiKey('SG.{g.s(URLSAFE, 22)}.{g.s(URLSAFE, 43)}');\n",
            {"sendgrid-api-key"},
        ),
        ("mailgun-legacy", ".env", f"MAILGUN_API_KEY=key-{g.s(HEX, 32)}\n", {"mailgun-api-key"}),
        (
            "mailgun-new",
            "config/mail.yml",
            f"mailgun_api_key: {g.s(HEX, 32)}-{g.s(HEX, 8)}-{g.s(HEX, 8)}\n",
            {"mailgun-private-key"},
        ),
        (
            "mailchimp",
            "newsletter.py",
            f'MAILCHIMP_KEY = "{g.s(HEX, 32)}-us14"\n',
            {"mailchimp-api-key"},
        ),
        (
            "openai-project",
            ".env",
            f"OPENAI_API_KEY=sk-proj-{g.s(URLSAFE, 156)}\n",
            {"openai-api-key"},
        ),
        (
            "openai-legacy",
            "chat.py",
            f'openai.api_key = "sk-{g.s(ALNUM, 20)}T3BlbkFJ{g.s(ALNUM, 20)}"\n',
            {"openai-api-key"},
        ),
        (
            "anthropic-env",
            ".env.local",
            f"ANTHROPIC_API_KEY=sk-ant-api03-{g.s(URLSAFE, 93)}AA\n",
            {"anthropic-api-key"},
        ),
        (
            "anthropic-json",
            "claude.json",
            json.dumps({"anthropic": {"apiKey": f"sk-ant-api03-{g.s(URLSAFE, 93)}AA"}}),
            {"anthropic-api-key"},
        ),
        (
            "huggingface",
            ".env",
            f"HF_TOKEN=hf_{g.s(string.ascii_letters, 34)}\n",
            {"huggingface-token"},
        ),
        (
            "npm-token",
            ".npmrc",
            f"//registry.npmjs.org/:_authToken=npm_{g.s(ALNUM, 36)}\n",
            {"npm-token"},
        ),
        (
            "npm-legacy-uuid",
            ".npmrc",
            "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken="
            f"{g.s(HEX, 8)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 12)}\n",
            {"npmrc-auth"},
        ),
        (
            "pypirc",
            ".pypirc",
            f"[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc{g.s(URLSAFE, 140)}\n",
            {"pypi-token"},
        ),
        ("rsa-key", "deploy/id_rsa", g.pem("RSA PRIVATE KEY", 25), {"private-key"}),
        ("openssh-key", ".ssh/id_ed25519", g.pem("OPENSSH PRIVATE KEY", 6), {"private-key"}),
        (
            "ec-key-yaml",
            "k8s/tls.yaml",
            "tls:\n  key: |\n"
            + "".join(f"    {line}\n" for line in g.pem("EC PRIVATE KEY", 4).splitlines()),
            {"private-key"},
        ),
        ("pgp-key", "keys/release.asc", g.pem("PGP PRIVATE KEY BLOCK", 20), {"private-key"}),
        (
            "jwt-js",
            "src/api.js",
            'const token = "'
            + g.jwt({"sub": "user_123", "iat": 1716239022, "exp": 1893456000, "role": "admin"})
            + '";\n',
            {"jwt", "generic-secret"},
        ),
        (
            "jwt-bearer-curl",
            "docs/api.md",
            "```\ncurl -H 'Authorization: Bearer "
            + g.jwt({"sub": "svc-reporting", "iat": 1716239022})
            + "' https://api.acme.io/v1/reports\n```\n",
            {"jwt", "http-bearer-token"},
        ),
        (
            "postgres-url",
            ".env",
            f"DATABASE_URL=postgres://app_user:{g.password()}@db.internal.acme.io:5432/app\n",
            {"url-credentials"},
        ),
        (
            "mongodb-srv",
            "src/db.ts",
            f"const uri = 'mongodb+srv://admin:{g.s(ALNUM, 16)}@cluster0.x7kq2.mongodb.net/prod';\n",
            {"url-credentials"},
        ),
        (
            "redis-url",
            "config/cache.yml",
            f"redis_url: redis://:{g.s(ALNUM, 24)}@cache.acme.internal:6379/0\n",
            {"url-credentials"},
        ),
        (
            "amqp-url",
            "celeryconfig.py",
            f"broker_url = 'amqp://svc_worker:{g.password()}@rabbitmq.acme.internal:5672//'\n",
            {"url-credentials"},
        ),
        (
            "password-python",
            "app/settings.py",
            f'DB_PASSWORD = "{g.password()}"\n',
            {"generic-secret"},
        ),
        (
            "password-yaml",
            "config/database.yml",
            f"production:\n  adapter: postgresql\n  username: app\n  password: {g.password()}\n",
            {"generic-secret"},
        ),
        (
            "password-properties",
            "src/main/resources/application.properties",
            f"spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password={g.password()}\n",
            {"generic-secret"},
        ),
        (
            "apikey-json",
            "config/prod.json",
            json.dumps({"service": {"apiKey": g.s(ALNUM, 32)}}, indent=2),
            {"generic-secret"},
        ),
        (
            "secret-go",
            "internal/auth/keys.go",
            f'const apiSecret = "{g.s(HEX, 40)}"\n',
            {"generic-secret"},
        ),
        (
            "token-java",
            "src/main/java/com/acme/Client.java",
            f'public class Client {{\n    private static final String API_TOKEN = "{g.s(ALNUM, 32)}";\n}}\n',
            {"generic-secret"},
        ),
        (
            "secret-csharp",
            "Services/Auth.cs",
            f'var clientSecret = "{g.s(ALNUM + "~._-", 40)}";\n',
            {"generic-secret"},
        ),
        (
            "terraform-password",
            "infra/db.tf",
            f'resource "aws_db_instance" "main" {{\n  username = "admin"\n  password = "{g.password()}"\n}}\n',
            {"generic-secret"},
        ),
        (
            "dockerfile-env",
            "Dockerfile",
            f"FROM node:20\nENV API_KEY={g.s(ALNUM, 32)}\n",
            {"generic-secret"},
        ),
        (
            "dockerfile-env-space",
            "Dockerfile.prod",
            f"FROM python:3.12\nENV SECRET_TOKEN {g.s(HEX, 40)}\n",
            {"generic-secret"},
        ),
        (
            "compose-env",
            "docker-compose.yml",
            f"services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD={g.password()}\n",
            {"generic-secret"},
        ),
        (
            "k8s-secret-data",
            "k8s/secret.yaml",
            "apiVersion: v1\nkind: Secret\ndata:\n  password: "
            + base64.b64encode(g.password().encode()).decode()
            + "\n",
            {"generic-secret"},
        ),
        (
            "k8s-env-pair",
            "k8s/deployment.yaml",
            f"        env:\n          - name: STRIPE_API_KEY\n            value: {g.s(ALNUM, 32)}\n",
            {"generic-secret"},
        ),
        (
            "xml-appsettings",
            "Web.config",
            f'<appSettings>\n  <add key="ApiKey" value="{g.s(ALNUM, 32)}" />\n</appSettings>\n',
            {"generic-secret"},
        ),
        (
            "xml-element",
            "pom-settings.xml",
            f"<server>\n  <id>nexus</id>\n  <password>{g.password()}</password>\n</server>\n",
            {"generic-secret"},
        ),
        (
            "dotnet-connection-string",
            "appsettings.Production.json",
            json.dumps(
                {
                    "ConnectionStrings": {
                        "Default": "Server=tcp:acme.database.windows.net,1433;Database=app;"
                        f"User ID=appadmin;Password={g.password()};Encrypt=True;"
                    }
                }
            ),
            {"connection-string-password"},
        ),
        (
            "basic-auth-header",
            "scripts/deploy.py",
            "headers = {'Authorization': 'Basic "
            + base64.b64encode(f"deploy:{g.password()}".encode()).decode()
            + "'}\n",
            {"http-basic-auth"},
        ),
        (
            "wordpress-salts",
            "wp-config.php",
            f"define('AUTH_KEY', '{g.s(ALNUM + '!@#&*()-_[]{}<>~+=,.;:/?|', 64)}');\n",
            {"generic-secret"},
        ),
        (
            "rails-secret-key-base",
            "config/secrets.yml",
            f"production:\n  secret_key_base: {g.s(HEX, 128)}\n",
            {"generic-secret"},
        ),
        (
            "django-secret-key",
            "mysite/settings.py",
            f"SECRET_KEY = 'django-insecure-{g.s(string.ascii_lowercase + string.digits + '@#&*-_=+', 50)}'\n",
            {"generic-secret"},
        ),
        ("laravel-app-key", ".env", f"APP_KEY=base64:{g.s(B64, 43)}=\n", {"generic-secret"}),
        (
            "netrc",
            ".netrc",
            f"machine api.heroku.com\n  login ops@acme.io\n  password {g.s(HEX, 32)}\n",
            {"generic-secret"},
        ),
        (
            "heroku-uuid",
            ".env",
            f"HEROKU_API_KEY={g.s(HEX, 8)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 4)}-{g.s(HEX, 12)}\n",
            {"heroku-api-key"},
        ),
        ("shopify", ".env", f"SHOPIFY_ACCESS_TOKEN=shpat_{g.s(HEX, 32)}\n", {"shopify-token"}),
        (
            "digitalocean",
            "deploy.sh",
            f"doctl auth init -t dop_v1_{g.s(HEX, 64)}\n",
            {"digitalocean-token"},
        ),
        (
            "discord-webhook",
            "notify.py",
            f'WEBHOOK = "https://discord.com/api/webhooks/{g.s(string.digits, 18)}/{g.s(URLSAFE, 68)}"\n',
            {"discord-webhook"},
        ),
        (
            "telegram",
            ".env",
            f"TELEGRAM_BOT_TOKEN={g.s(string.digits, 10)}:AA{g.s(URLSAFE, 33)}\n",
            {"telegram-bot-token"},
        ),
        ("datadog", ".env", f"DD_API_KEY={g.s(HEX, 32)}\n", {"generic-secret"}),
        ("cloudflare", ".env", f"CLOUDFLARE_API_TOKEN={g.s(URLSAFE, 40)}\n", {"generic-secret"}),
        ("vault", ".envrc", f"export VAULT_TOKEN=hvs.{g.s(URLSAFE, 90)}\n", {"vault-token"}),
        (
            "databricks",
            "jobs.py",
            f'DATABRICKS_TOKEN = "dapi{g.s(HEX, 32)}"\n',
            {"databricks-token"},
        ),
        (
            "grafana",
            ".env",
            f"GRAFANA_TOKEN=glsa_{g.s(ALNUM, 32)}_{g.s(HEX, 8)}\n",
            {"grafana-token"},
        ),
        (
            "docker-config",
            ".docker/config.json",
            json.dumps(
                {
                    "auths": {
                        "registry.acme.io": {
                            "auth": base64.b64encode(f"ci:{g.s(ALNUM, 20)}".encode()).decode()
                        }
                    }
                },
                indent=2,
            ),
            {"docker-config-auth"},
        ),
        ("square", "pay.rb", f"SQUARE_TOKEN = 'sq0atp-{g.s(URLSAFE, 22)}'\n", {"square-token"}),
        (
            "atlassian",
            ".env",
            f"JIRA_API_TOKEN=ATATT3xFfGF0{g.s(URLSAFE, 170)}={g.s(HEX, 8).upper()}\n",
            {"atlassian-api-token"},
        ),
        (
            "age-key",
            "keys.txt",
            f"# created: 2024-01-01\nAGE-SECRET-KEY-1{g.s('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}\n",
            {"age-secret-key"},
        ),
        (
            "cli-password",
            "scripts/backup.sh",
            f"pg_dump --password={g.password()} app > dump.sql\n",
            {"generic-secret"},
        ),
        (
            "go-setenv",
            "main_test.go",
            f'os.Setenv("API_KEY", "{g.s(ALNUM, 32)}")\n',
            {"generic-secret"},
        ),
        ("kotlin", "App.kt", f'val apiKey = "{g.s(ALNUM, 32)}"\n', {"generic-secret"}),
        ("swift", "Config.swift", f'let apiKey = "{g.s(ALNUM, 32)}"\n', {"generic-secret"}),
        (
            "rust",
            "src/config.rs",
            f'const API_KEY: &str = "{g.s(ALNUM, 32)}";\n',
            {"generic-secret"},
        ),
        (
            "typescript",
            "src/client.ts",
            f'class Client {{\n  private readonly clientSecret: string = "{g.s(ALNUM, 40)}";\n}}\n',
            {"generic-secret"},
        ),
        (
            "hf-python",
            "train.py",
            f'login(token="hf_{g.s(string.ascii_letters, 34)}")\n',
            {"huggingface-token"},
        ),
        ("sentry", ".sentryclirc", f"[auth]\ntoken=sntryu_{g.s(HEX, 64)}\n", {"sentry-token"}),
        ("groq", ".env", f"GROQ_API_KEY=gsk_{g.s(ALNUM, 52)}\n", {"groq-api-key"}),
        ("linear", ".env", f"LINEAR_API_KEY=lin_api_{g.s(ALNUM, 40)}\n", {"linear-api-key"}),
        (
            "postman",
            "postman.sh",
            f"export POSTMAN_API_KEY=PMAK-{g.s(HEX, 24)}-{g.s(HEX, 34)}\n",
            {"postman-api-key"},
        ),
        (
            "dockerhub",
            ".github/scripts/login.sh",
            f"echo dckr_pat_{g.s(URLSAFE, 27)} | docker login -u acme --password-stdin\n",
            {"dockerhub-token"},
        ),
        (
            "terraform-aws-provider",
            "main.tf",
            f'provider "aws" {{\n  access_key = "AKIA{g.s(UPPER_DIGITS, 16)}"\n'
            f'  secret_key = "{g.s(B64, 40)}"\n}}\n',
            {"aws-access-key-id"},
        ),
        (
            "spring-aws",
            "application.properties",
            f"aws.secretKey={g.s(B64, 40)}\n",
            {"aws-secret-access-key"},
        ),
        (
            "git-credentials",
            ".git-credentials",
            f"https://octocat:{g.s(ALNUM, 24)}@github.com\n",
            {"url-credentials"},
        ),
        (
            "pip-index-url",
            "pip.conf",
            f"[global]\nindex-url = https://ci:{g.s(ALNUM, 20)}@pypi.internal.acme.io/simple\n",
            {"url-credentials"},
        ),
        ("jwt-secret-hex", ".env", f"JWT_SECRET={g.s(HEX, 64)}\n", {"generic-secret"}),
        (
            "jdbc-query-password",
            "src/main/java/Db.java",
            f'String url = "jdbc:postgresql://db/app?user=app&password={g.s(ALNUM, 16)}";\n',
            {"generic-secret"},
        ),
        (
            "discord-bot-token",
            "bot.js",
            f"client.login('{g.rng.choice('MN')}{g.s(ALNUM, 23)}.{g.s(URLSAFE, 6)}.{g.s(URLSAFE, 27)}');\n",
            {"discord-bot-token"},
        ),
        (
            "discord-bot-token-env",
            ".env",
            f"DISCORD_BOT_TOKEN={discord_id}.{g.s(URLSAFE, 6)}.{g.s(URLSAFE, 38)}\n",
            {"discord-bot-token", "generic-secret"},
        ),
        (
            "heroku-netrc-uuid",
            ".netrc",
            f"machine api.heroku.com\n  login ops@acme.io\n  password {g.uuid()}\n",
            {"heroku-api-key", "generic-secret"},
        ),
        (
            "heroku-uuid-upper",
            ".env",
            f"HEROKU_API_KEY={g.uuid().upper()}\n",
            {"heroku-api-key"},
        ),
        (
            "heroku-dockerfile-env",
            "Dockerfile",
            f"FROM ruby:3.3\nENV HEROKU_API_KEY {g.uuid()}\n",
            {"heroku-api-key"},
        ),
        (
            "heroku-travis-deploy",
            ".travis.yml",
            f"deploy:\n  provider: heroku\n  api_key: {g.uuid()}\n  app: acme-web\n",
            {"heroku-api-key", "generic-secret"},
        ),
        (
            "uuid-api-key",
            "src/settings.py",
            f'SNYK_API_TOKEN = "{g.uuid()}"\n',
            {"generic-secret"},
        ),
        (
            "aws-key-in-docs",
            "docs/deploy.rst",
            f"Deploy with::\n\n    AWS_ACCESS_KEY_ID={'AKIA' + g.s(UPPER_DIGITS, 16)}\n",
            {"aws-access-key-id"},
        ),
        (
            "github-token-in-docs",
            "docs/ci.md",
            f"```\nexport GITHUB_TOKEN=ghp_{g.s(ALNUM, 36)}\n```\n",
            {"github-token"},
        ),
        ("private-key-in-docs", "docs/tls.md", g.pem("RSA PRIVATE KEY", 12), {"private-key"}),
        (
            "basic-auth-random-user",
            "client/http.py",
            "AUTH = {'Authorization': 'Basic "
            + base64.b64encode(f"svc-build:{g.s(ALNUM, 18)}".encode()).decode()
            + "'}\n",
            {"http-basic-auth"},
        ),
    ]
    return [Sample(name, path, text, frozenset(rules)) for name, path, text, rules in out]


LOOKALIKES: list[tuple[str, str, str]] = [
    (
        "aws-docs",
        "README.md",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ),
    (
        "aws-xxx",
        ".env.example",
        "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX\naws_secret_access_key = <secret>\n",
    ),
    (
        "environ",
        "settings.py",
        'password = os.environ["DB_PASSWORD"]\napi_key = os.getenv("API_KEY")\n',
    ),
    (
        "compose-interpolation",
        "docker-compose.yml",
        "environment:\n  POSTGRES_PASSWORD: ${DB_PASSWORD}\n  API_TOKEN: ${API_TOKEN:-}\n",
    ),
    (
        "actions-secret",
        ".github/workflows/ci.yml",
        "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
    ),
    (
        "your-key-here",
        ".env.example",
        "API_KEY=your_api_key_here\nSECRET_KEY=change-me\nSTRIPE_SECRET_KEY=sk_test_your_key\n",
    ),
    (
        "sk-dots",
        "README.md",
        "export OPENAI_API_KEY=sk-...\nexport OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    ),
    ("ghp-xxx", "docs/setup.md", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"),
    ("changeme", "config.py", 'password = "changeme"\nadmin_password = "<password>"\n'),
    ("empty-none", "settings.py", "DB_PASSWORD = \"\"\nSECRET_KEY = None\nAPI_TOKEN = ''\n"),
    (
        "uuid",
        "app.py",
        'request_id = "123e4567-e89b-12d3-a456-426614174000"\napi_key_id = "3f2b8c1d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"\n',
    ),
    (
        "commit-sha",
        "deps.yml",
        "commit: 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11\n",
    ),
    (
        "npm-integrity",
        "package-lock.json",
        '{"node_modules/left-pad": {"version": "1.3.0", "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQsMoFzdVXhP9d0wVM8R5WIJQ7A0Ytu6pHA8glDCKpPmIBsA=="}}\n',
    ),
    (
        "yarn-integrity",
        "yarn.lock",
        'left-pad@^1.3.0:\n  version "1.3.0"\n  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e"\n  integrity sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQsMoFzdVXhP9d0wVM8R5WIJQ7A0Ytu6pHA8glDCKpPmIBsA==\n',
    ),
    (
        "token-type",
        "oauth.py",
        'token_type = "Bearer"\nTOKEN_URL = "https://oauth2.googleapis.com/token"\n',
    ),
    ("password-field", "forms.py", 'password_field = "password"\nmax_tokens = 4096\n'),
    (
        "tokenizer",
        "model.py",
        'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\npad_token = "<pad>"\n',
    ),
    (
        "secret-name",
        "k8s/deploy.yaml",
        "valueFrom:\n  secretKeyRef:\n    name: db-credentials\n    key: password\nsecretName: tls-cert\n",
    ),
    (
        "stripe-publishable",
        "checkout.js",
        "const stripe = Stripe('pk_live_51HqLyjWDarjtT1zdp7dcXYZ');\n",
    ),
    (
        "public-keys",
        "keys/README.md",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@laptop\n",
    ),
    (
        "elided-private-key",
        "docs/tls.md",
        "```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n",
    ),
    (
        "placeholder-private-key",
        "docs/ssh.md",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n<your private key here>\n-----END OPENSSH PRIVATE KEY-----\n",
    ),
    (
        "jwt-io-example",
        "docs/auth.md",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
    ),
    (
        "local-db-urls",
        ".env.example",
        "DATABASE_URL=postgres://user:password@localhost:5432/db\nTEST_DATABASE_URL=postgres://postgres:postgres@localhost/test\nREDIS_URL=redis://localhost:6379/0\n",
    ),
    (
        "templated-url",
        "config.py",
        'DB = f"postgresql://{user}:{password}@{host}/app"\nURL = "postgresql://${DB_USER}:${DB_PASS}@${DB_HOST}/app"\n',
    ),
    (
        "example-url",
        "README.md",
        "Use `https://user:pass@example.com/repo.git` or `amqp://guest:guest@localhost:5672/`.\n",
    ),
    (
        "checksums",
        "Dockerfile",
        'ENV NODE_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nRUN echo "${NODE_SHA256}  node.tar.gz" | sha256sum -c -\n',
    ),
    (
        "prose",
        "docs/config.md",
        "Set the `API_KEY` environment variable to your key. The password is read from the vault.\n",
    ),
    (
        "getpass",
        "cli.py",
        "password = getpass.getpass()\nself.secret = secret\ntoken = request.headers.get('Authorization')\n",
    ),
    (
        "test-values",
        "tests/test_api.py",
        'api_key = "test"\napi_key = "dummy-key"\nclient = Client(api_key="fake-api-key-for-tests")\n',
    ),
    (
        "data-uri",
        "styles.css",
        ".logo { background: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==); }\n",
    ),
    (
        "cargo-lock",
        "Cargo.lock",
        '[[package]]\nname = "serde"\nversion = "1.0.197"\nchecksum = "3fb1c873e1b9b056a4dc4c0c198b24c3ffa059243875552b2bd0933b1aee4ce2"\n',
    ),
    (
        "go-sum",
        "go.sum",
        "github.com/gin-gonic/gin v1.9.1 h1:4idEAncQnU5cB7BeOkPtxjfCSye0AAm1R0RVIqJ+Jmg=\n",
    ),
    (
        "random-secret-call",
        "settings.py",
        "SECRET_KEY = get_random_secret_key()\nJWT_SECRET = secrets.token_hex(32)\n",
    ),
    (
        "password-hash",
        "fixtures.py",
        'password_hash = "$2b$12$KIXQJ1kS0zFQ7yW8dL5fUeQ6j3m0Y9z1xV2c4b6n8m0p2r4t6v8x0"\n',
    ),
    (
        "constants",
        "constants.py",
        'KEY_LENGTH = 32\nAPI_KEY_HEADER = "X-API-Key"\nSECRET_KEY_LENGTH = 50\n',
    ),
    ("regex", "validators.js", "const passwordRegex = /^(?=.*[A-Z])(?=.*\\d).{8,}$/;\n"),
    (
        "anthropic-placeholder",
        ".env.example",
        "ANTHROPIC_API_KEY=sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    ),
    (
        "bearer-placeholders",
        "docs/api.md",
        'curl -H "Authorization: Bearer <token>" https://api\ncurl -H "Authorization: Bearer $TOKEN" https://api\n',
    ),
    ("fstring-bearer", "client.py", 'headers = {"Authorization": f"Bearer {token}"}\n'),
    (
        "env-name-values",
        "config.json",
        '{"access_token": "ACCESS_TOKEN", "secret": "CLIENT_SECRET_ENV"}\n',
    ),
    (
        "slack-placeholders",
        "README.md",
        "SLACK_BOT_TOKEN=xoxb-your-bot-token\nWEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n",
    ),
    ("gitlab-placeholder", "README.md", "export GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx\n"),
    (
        "google-placeholder",
        "index.html",
        '<script>const key = "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";</script>\n',
    ),
    (
        "oauth-client-id",
        "auth.js",
        'const clientId = "1234567890-abc123def456.apps.googleusercontent.com";\n',
    ),
    (
        "azure-ids",
        ".env",
        "AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47\nAZURE_SUBSCRIPTION_ID=0b1f6471-1bf0-4dda-aec3-cb9272f09590\n",
    ),
    (
        "i18n",
        "locales/de.json",
        '{"password": "Passwort", "token": "Zugangsschlüssel", "secret": "Geheimnis"}\n',
    ),
    ("key-value", "i18n.json", '{"key": "user.profile.name", "value": "Name"}\n'),
    (
        "key-path",
        "config.py",
        'private_key_path = "/etc/ssl/private/server.key"\nPRIVATE_KEY_FILE = "./keys/jwt.pem"\n',
    ),
    ("numbers", "config.py", "token_expiry_seconds = 3600\npassword_min_length = 12\n"),
    (
        "ansible-vault",
        "group_vars/all.yml",
        "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  62313365396662343061393464336163383764373764613633653634306231386433626436623361\n",
    ),
    ("stars", "config.yml", 'password: "********"\napi_key: "••••••••"\n'),
    (
        "jinja",
        "templates/app.conf.j2",
        "password = {{ db_password }}\nsecret_key = {{ secret_key }}\n",
    ),
    ("secret-bool", "schema.yml", "secret: true\nsecrets: inherit\n"),
    ("plural-tokens", "lexer.py", 'tokens = ["NAME", "NUMBER"]\ncredentials: ./creds.json\n'),
    (
        "terraform-refs",
        "main.tf",
        "password = var.db_password\nmaster_password = random_password.db.result\n",
    ),
    ("helm", "templates/secret.yaml", "password: {{ .Values.password | b64enc }}\n"),
    (
        "sentry-dsn",
        "sentry.js",
        'Sentry.init({ dsn: "https://4f5c1b1e6c0f4f6fa1b2c3d4e5f60718@o123456.ingest.sentry.io/1234567" });\n',
    ),
    (
        "ssh-git-url",
        "deps.txt",
        "git+ssh://git@github.com/acme/lib.git@v1.2.0\nhttp://[::1]:8080/health\n",
    ),
    (
        "file-hash",
        "manifest.py",
        'file_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"\n',
    ),
    (
        "nonce-salt",
        "crypto_test.py",
        'nonce = "a94a8fe5ccb19ba61c4c0873"\nsalt = "c3ab8ff13720e8ad9047dd39466b3c89"\n',
    ),
    (
        "encrypted-password",
        "users.yml",
        "encrypted_password: gAAAAABlZ2b3cD4k9fQ8m1r2T3v4W5x6Y7z8A9B0C1D2E3F4G5H6I7J8K9L0\n",
    ),
    (
        "mapbox-public",
        "map.js",
        "mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSIsImEiOiJja2xtbm9wcXIwMDAwMnBxcnN0dXZ3eHl6In0.AbCdEfGhIjKlMnOpQrStUv';\n",
    ),
    (
        "session-token-name",
        "settings.py",
        'SESSION_TOKEN_NAME = "X-Session-Token"\nCSRF_TOKEN = "{{ csrf_token }}"\n',
    ),
    (
        "arn",
        "serverless.yml",
        "secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf\n",
    ),
    ("empty-api-key", "client.py", 'api_key = ""\ntoken = None\n'),
    ("hunter2", "README.md", "password: hunter2\n"),
    (
        "password-confirmation",
        "tests/fixtures.json",
        '{"password_confirmation": "secret123", "password_reset_url": "/reset"}\n',
    ),
    (
        "public-key-var",
        "crypto.py",
        'public_key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6pK8sY0cYq1mZ4Xw3v9NbBbXpQ"\n',
    ),
    (
        "recaptcha-site-key",
        "form.html",
        '<div class="g-recaptcha" data-sitekey="6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI"></div>\n',
    ),
    (
        "mock-vars",
        "conftest.py",
        'MOCK_TOKEN = "mock-token-value"\nEXAMPLE_SECRET = "example-secret"\n',
    ),
    (
        "supabase-anon",
        "src/supabase.js",
        "const supabaseKey = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImFiY2RlZmdoaWprbG1ub3AiLCJyb2xlIjoiYW5vbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoyMDAwMDAwMDAwfQ.Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';\n",
    ),
    ("version-strings", "versions.properties", "token.version=1.2.3\napi.key.format=v2\n"),
    ("replace-me", ".env.example", "API_TOKEN=REPLACE_ME\nDB_PASSWORD=__PASSWORD__\n"),
    (
        "cloudformation",
        "template.yaml",
        'MasterUserPassword: !Ref DBPassword\nPassword: "{{resolve:secretsmanager:MySecret:SecretString:password}}"\n',
    ),
    (
        "process-env",
        "server.js",
        'const apiKey = process.env.API_KEY;\nconst secret = config.get("jwt.secret");\n',
    ),
    ("empty-url-password", "docker-compose.yml", "DATABASE_URL: mysql://root:@db:3306/app\n"),
    ("diceware", "users.json", '{"password": "correcthorsebatterystaple"}\n'),
    ("oauth-basic-url", "deps.txt", "git+https://token:x-oauth-basic@github.com/acme/lib.git\n"),
    ("env-call", "settings.py", 'SECRET_KEY = env("SECRET_KEY")\nPASSWORD = input("Password: ")\n'),
    ("wrong-password-test", "test_auth.py", 'assert login("alice", password="wrong") is False\n'),
    (
        "make-variables",
        "Makefile",
        "deploy:\n\tdocker login -u $(DOCKER_USER) -p $(DOCKER_TOKEN)\n",
    ),
    (
        "github-action-pin",
        ".github/workflows/release.yml",
        "      - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc # v1.12.4\n        with:\n          password: ${{ secrets.PYPI_API_TOKEN }}\n",
    ),
    (
        "basic-auth-user-password",
        "tests/test_auth.py",
        'headers = {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}\n',
    ),
    (
        "basic-auth-john-secret",
        "docs/quickstart.py",
        "auth_header = 'Authorization: Basic am9objpzZWNyZXQ='\n",
    ),
    ("bearer-words", "tests/test_headers.py", "Authorization: Bearer authorization-secret\n"),
    (
        "webdav-lock-token",
        "webdav/client.py",
        "headers = {'Lock-Token': 'urn:uuid:a515cfa4-ed2b-4c1b-9ba4-6b5a1ad9c1c4'}\n",
    ),
    (
        "bundled-js-identifier",
        "dist/chunks/cli-api.B7xq9Z.js",
        'let lastSignificantToken = "?InterpolationInTemplate";\n',
    ),
    (
        "js-sigil-identifier",
        "src/lexer.js",
        'const lastSignificantToken = "?InterpolationInTemplate";\n',
    ),
    (
        "minified-js-code",
        "static/app.min.js",
        'var a={apiKey:"getAuthorizationHeaderValue2",secretKey:"n.defaultOptions.keyPair"};\n',
    ),
    (
        "shields-badge",
        "README.md",
        "[![coverage](https://img.shields.io/codecov/c/github/acme/app?token=abc123def456)](x)\n",
    ),
    (
        "percent-encoded-url",
        "docs/urls.md",
        "https://username%40gmail.com:pa%20ssword@example.com\n",
    ),
    (
        "documentation-hosts",
        "README.md",
        "postgres://app:Zq8vK2mPw4Lx@db.example.org/app\nredis://:Tr7cW9qNe3Vb@cache.example/0\n"
        "amqp://svc:Hy4kD8sLq2Xw@localhost:5672/\n",
    ),
    (
        "known-example-uuid",
        "client.py",
        'api_key = "123e4567-e89b-12d3-a456-426614174000"\n',
    ),
]


def _generated_lookalikes(seed: int = 5) -> list[tuple[str, str, str]]:
    """Look-alikes that are themselves credential-shaped, so generated, not committed."""
    g = Gen(seed)
    return [
        (
            "docs-config-example",
            "docs/config.rst",
            f"Put this in your config::\n\n    SECRET_KEY = '{g.s(HEX, 64)}'\n",
        ),
        (
            "readme-generic-example",
            "README.md",
            f"```python\napp.config['API_TOKEN'] = \"{g.s(ALNUM, 32)}\"\n```\n",
        ),
        (
            "docs-txt-example",
            "docs/quickstart.txt",
            f"DB_PASSWORD={g.password()}\n",
        ),
    ]


def lookalikes() -> list[Sample]:
    rows = LOOKALIKES + _generated_lookalikes()
    return [Sample(name, path, text, frozenset()) for name, path, text in rows]
