from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from libs.github.oauth import authorize_url, new_pkce, new_state, s256


def test_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_and_state_are_fresh_and_well_formed() -> None:
    pairs = [new_pkce() for _ in range(20)]
    assert len({p.verifier for p in pairs}) == 20
    for pair in pairs:
        assert 43 <= len(pair.verifier) <= 128
        assert pair.challenge == s256(pair.verifier)
        assert pair.verifier not in repr(pair)
    assert len({new_state() for _ in range(20)}) == 20


def test_authorize_url_carries_state_and_challenge() -> None:
    url = authorize_url(
        "https://ghe.example.com/",
        client_id="cid",
        redirect_uri="https://app.example.com/auth/github/callback",
        state="st",
        challenge="ch",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://ghe.example.com/login/oauth/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == "cid"
    assert query["state"] == "st"
    assert query["code_challenge"] == "ch"
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://app.example.com/auth/github/callback"
    assert "repo" in query["scope"].split()
