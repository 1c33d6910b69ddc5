"""Service containers for the backing services a repository's tests need.

Images are pinned to a major (or major.minor) tag, or to the version the repository
itself declares (e.g. in docker-compose), so a release of the service never changes CI
silently. Credentials are throwaway values for a container that lives as long as the job.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import msgspec

from libs.analysis.report import Fact
from libs.analysis.stack import SERVICE_IMAGES
from libs.cigen.plan import Service

_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_CATALOGUE: dict[str, Service] = {
    "postgres": Service(
        name="postgres",
        image="postgres:17",
        port=5432,
        env={"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": "test"},
        health="pg_isready -U postgres",
        url_env={"DATABASE_URL": "postgresql://postgres:postgres@{host}:5432/test"},
    ),
    "mysql": Service(
        name="mysql",
        image="mysql:8.4",
        port=3306,
        env={"MYSQL_ROOT_PASSWORD": "mysql", "MYSQL_DATABASE": "test"},
        health="mysqladmin ping -h 127.0.0.1 -pmysql",
        url_env={"DATABASE_URL": "mysql://root:mysql@{host}:3306/test"},
    ),
    "mariadb": Service(
        name="mariadb",
        image="mariadb:11",
        port=3306,
        env={"MARIADB_ROOT_PASSWORD": "mariadb", "MARIADB_DATABASE": "test"},
        health="healthcheck.sh --connect --innodb_initialized",
        url_env={"DATABASE_URL": "mysql://root:mariadb@{host}:3306/test"},
    ),
    "redis": Service(
        name="redis",
        image="redis:7",
        port=6379,
        health="redis-cli ping",
        url_env={"REDIS_URL": "redis://{host}:6379/0"},
    ),
    "valkey": Service(
        name="valkey",
        image="valkey/valkey:8",
        port=6379,
        health="valkey-cli ping",
        url_env={"REDIS_URL": "redis://{host}:6379/0"},
    ),
    "mongodb": Service(
        name="mongodb",
        image="mongo:8",
        port=27017,
        health="mongosh --quiet --eval 'db.adminCommand({ping: 1})'",
        url_env={"MONGODB_URL": "mongodb://{host}:27017/test"},
    ),
    "rabbitmq": Service(
        name="rabbitmq",
        image="rabbitmq:4",
        port=5672,
        health="rabbitmq-diagnostics -q ping",
        url_env={"RABBITMQ_URL": "amqp://guest:guest@{host}:5672/"},
    ),
    "memcached": Service(
        name="memcached",
        image="memcached:1.6",
        port=11211,
        url_env={"MEMCACHED_URL": "{host}:11211"},
    ),
}
# Frameworks that read their connection settings from variables of their own.
_FRAMEWORK_ENV: dict[tuple[str, str], dict[str, str]] = {
    ("laravel", "mysql"): {
        "DB_CONNECTION": "mysql",
        "DB_HOST": "{host}",
        "DB_PORT": "3306",
        "DB_DATABASE": "test",
        "DB_USERNAME": "root",
        "DB_PASSWORD": "mysql",
    },
    ("laravel", "postgres"): {
        "DB_CONNECTION": "pgsql",
        "DB_HOST": "{host}",
        "DB_PORT": "5432",
        "DB_DATABASE": "test",
        "DB_USERNAME": "postgres",
        "DB_PASSWORD": "postgres",
    },
    ("laravel", "redis"): {"REDIS_HOST": "{host}", "REDIS_PORT": "6379"},
    # No SPRING_DATASOURCE_*: set job-wide it overrides every profile, forcing tests that
    # run on H2 (and load H2 schema scripts) onto the container's database.
    ("spring boot", "redis"): {
        "SPRING_DATA_REDIS_HOST": "{host}",
        "SPRING_DATA_REDIS_PORT": "6379",
    },
}
_ALIASES = {
    "postgresql": "postgres",
    "pg": "postgres",
    "mongo": "mongodb",
    "amqp": "rabbitmq",
}


class Credentials(msgspec.Struct, frozen=True):
    """The user and password of a database service our job provisions."""

    user: str
    password: str


def credentials(service: Service) -> tuple[str, Credentials | None]:
    """The database kind a service of the catalogue is (mariadb is a mysql to its
    clients), with the user and password its env gives it; None for no database."""
    env = service.env
    if service.name == "postgres" and "POSTGRES_PASSWORD" in env:
        user = env.get("POSTGRES_USER", "postgres")
        return "postgres", Credentials(user, env["POSTGRES_PASSWORD"])
    for name, variable in (("mysql", "MYSQL_ROOT_PASSWORD"), ("mariadb", "MARIADB_ROOT_PASSWORD")):
        if service.name == name and variable in env:
            return "mysql", Credentials("root", env[variable])
    return service.name, None


def image_name(image: str) -> str:
    """An image without its tag or digest: `postgres:17` -> `postgres`."""
    name = image.split("@", 1)[0]
    head, _, tail = name.rpartition("/")
    return f"{head}/{tail.split(':', 1)[0]}" if head else tail.split(":", 1)[0]


def service_kind(image: str) -> str:
    """The kind of service an image is, as our catalogue names it (`postgis/postgis:16`
    and `postgres:17` are both `postgres`; `mariadb` is `mysql`)."""
    kind = SERVICE_IMAGES.get(image_name(image), image_name(image))
    return _ALIASES.get(kind, kind)


def provisioned(image: str) -> bool:
    """Whether we provision the kind of service this image is, when the tests need one."""
    return service_kind(image) in _CATALOGUE


def service_for(fact: Fact, frameworks: Collection[str] = ()) -> Service | None:
    """The container for a detected service, or None when we do not provision it.
    `frameworks` (lower-case names) add the variables those frameworks read."""
    name = _ALIASES.get(fact.name.lower(), fact.name.lower())
    base = _CATALOGUE.get(name)
    if base is None:
        return None
    image = base.image
    version = (fact.version or "").strip()
    if version and _TAG.match(version) and version != "latest":
        image = f"{base.image.rsplit(':', 1)[0]}:{version}"
    url_env = dict(base.url_env)
    for framework in sorted(frameworks):
        url_env.update(_FRAMEWORK_ENV.get((framework, name), {}))
    return msgspec.structs.replace(base, image=image, url_env=url_env)
