"""The shape every faithfulness case reports in, shared by the domains' case modules."""

from __future__ import annotations


def requirement(name: str, met: bool, value: object, want: str) -> dict:
    """One measured requirement: what was checked, whether it held, what was found and what was wanted."""
    return {"name": name, "met": bool(met), "value": value, "want": want}


def outcome(domain: str, prompt: str, requirements: list[dict]) -> dict:
    """One prompt's checked requirements (validity checks included)."""
    return {"domain": domain, "prompt": prompt, "requirements": requirements}
