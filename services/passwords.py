"""What a new password must be: the one rule for every way a password is set (``create_user``,
``set_password``, ``prodhub create-admin``).

- 10 to 256 characters;
- not common, and not a simple variation of a common one: zxcvbn (Dropbox's estimator, with
  its lists of the 30,000 most common passwords of public breaches, English words, names and
  keyboard patterns, and the user's own email as a word) must estimate at least 10^8 guesses
  (its score 3, "safely unguessable": an offline attack on the argon2id hash would take years
  per password). So ``1234567890``, ``password123`` or the user's email are refused, and a few
  unrelated words (``lamp stapler orbit``) are accepted;
- in production, never the demo's password: it is public. Outside production it is the one
  password accepted below the estimate, so that ``prodhub seed-demo`` can make the demo's
  sign-ins.
"""

from __future__ import annotations

from services.errors import BadInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MIN_SCORE = 3  # zxcvbn's scores: 0 to 4; 3 means at least 10^8 guesses
ESTIMATED_CHARACTERS = 72  # zxcvbn's own bound: a longer password is judged by its start
CONTEXT_WORDS = ("prodhub", "productivity", "warehouse")  # what an attacker tries first here
DEMO_PASSWORD = "demo-password"  # the demo's sign-ins (``services.demo.users``), in the README


def check_password(password: str, *, email: str, production: bool) -> None:
    """``BadInput`` (field ``password``) unless ``password`` may be set for ``email``. Costs a
    few milliseconds of CPU: call it where the password is hashed, off the event loop."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadInput(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    if password == DEMO_PASSWORD:
        if production:
            raise BadInput("this password is public (the demo's): choose another", field="password")
        return
    # Imported here: its lists take ~10 MB, which only the processes that set passwords need.
    from zxcvbn import zxcvbn

    address = email.strip().lower()
    words = [address, address.partition("@")[0], *CONTEXT_WORDS]
    verdict = zxcvbn(password[:ESTIMATED_CHARACTERS], user_inputs=words)
    if verdict["score"] < MIN_SCORE:
        raise BadInput(
            "this password is too common or too easy to guess: try three or four unrelated words",
            field="password",
        )
