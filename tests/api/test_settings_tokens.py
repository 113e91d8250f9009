"""The API tokens section of Settings, through Streamlit's AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from generation import tokens
from tests.conftest import REPO_ROOT

TIMEOUT = 60


def open_settings() -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    app.run()
    app.switch_page("pages/settings.py")
    app.run()
    return app


def create_in_page(app: AppTest, name: str) -> None:
    field = next(box for box in app.text_input if box.label == "Name of the new token")
    field.input(name)
    button = next(
        button
        for button in app.get("form_submit_button")
        if button.label == "Create token"
    )
    button.click()
    app.run()


def test_create_shows_the_token_once(engine):
    app = open_settings()

    create_in_page(app, "CMS export")

    assert not app.exception
    secret = app.code[0].value
    assert secret.startswith("trk_")
    assert tokens.authenticate_token(secret, engine=engine).name == "CMS export"
    assert any("not shown again" in message.value for message in app.success)
    app.run()
    assert [block.value for block in app.code if block.value == secret] == []


def test_list_shows_tokens_without_their_secret(engine):
    created = tokens.create_token("notebook", engine=engine)
    tokens.authenticate_token(created.secret, engine=engine)

    app = open_settings()

    table = app.dataframe[-1].value
    assert list(table["Name"]) == ["notebook"]
    assert table["Last used"].notna().all()
    assert created.secret not in table.to_string()


def test_revoke_in_page(engine):
    created = tokens.create_token("cron", engine=engine)
    app = open_settings()

    revoke = next(button for button in app.button if button.label == "Revoke")
    revoke.click()
    app.run()

    assert not app.exception
    with pytest.raises(tokens.InvalidToken, match="has been revoked"):
        tokens.authenticate_token(created.secret, engine=engine)
    assert any("'cron' is revoked" in message.value for message in app.success)


def test_empty_name_gets_a_sentence(engine):
    app = open_settings()

    create_in_page(app, "   ")

    assert [message.value for message in app.error] == [
        "A token needs a name, such as the program that will use it."
    ]
    assert tokens.list_tokens(engine=engine) == []
