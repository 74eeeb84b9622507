"""The action server: `python -m actions.server --port 5055` (what `bot serve` starts).

Why our own entry point: rasa-sdk's `create_app` (`python -m rasa_sdk --actions actions`)
finds actions by scanning every subclass of `Action` the process has imported and
constructs each one without arguments, so an action could only reach shared state
through a module-level singleton. Here the `Runtime` (actions.runtime) is built once,
before the server accepts a request (the app database is migrated there, never inside
an action's `run`); each action is constructed with it and the instances are registered
on rasa-sdk's own `ActionExecutor`, which runs them exactly as rasa-sdk's app does. The
routes are rasa-sdk's: GET /health, POST /webhook, GET /actions. The reports worker
(bot.reports.forward.ReportsWorker) starts and stops with the server.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import sys
import zlib
from typing import Any, Optional, Sequence

from rasa_sdk import Action, utils
from rasa_sdk.constants import DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import configure_cors
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.alerts import (
    ActionAlertsStart,
    ActionAskAlertsRegion,
    ActionSubscribeAlerts,
    ActionUnsubscribe,
    ValidateAlertsForm,
)
from actions.hazard_report import (
    AskHazardRegion,
    ResetHazardReport,
    SubmitHazardReport,
    ValidateReportHazardForm,
)
from actions.locale import detector
from actions.onboarding import Onboarding
from actions.privacy import ActionDeleteMyData
from actions.referral import (
    ActionAskServiceRegion,
    ActionCancelReferral,
    ActionCreateReferral,
    ActionServicesStart,
    ActionShowServices,
    ValidateServicesForm,
)
from actions.runtime import Runtime, UsesRuntime, build_runtime
from actions.surveys import ActionStartSurvey, AskSurveyAnswer, ResetSurvey, SubmitSurvey, ValidateSurveyForm
from bot.paths import project_paths
from bot.settings import ACTION_SERVER_TOKEN_ENV, settings_or_exit

logger = logging.getLogger(__name__)

# Every action this server runs (a test checks it against the concrete Action classes of `actions`).
ACTIONS: tuple[type[Action], ...] = (
    ValidateReportHazardForm,
    AskHazardRegion,
    ResetHazardReport,
    SubmitHazardReport,
    Onboarding,
    ActionDeleteMyData,
    ActionServicesStart,
    ValidateServicesForm,
    ActionAskServiceRegion,
    ActionShowServices,
    ActionCreateReferral,
    ActionCancelReferral,
    ActionAlertsStart,
    ValidateAlertsForm,
    ActionAskAlertsRegion,
    ActionSubscribeAlerts,
    ActionUnsubscribe,
    ActionStartSurvey,
    AskSurveyAnswer,
    ValidateSurveyForm,
    SubmitSurvey,
    ResetSurvey,
)


def action_instances(runtime: Runtime) -> list[Action]:
    """One instance of each action, those that need it constructed with the runtime."""
    return [cls(runtime) if issubclass(cls, UsesRuntime) else cls() for cls in ACTIONS]


def build_executor(runtime: Runtime) -> ActionExecutor:
    """rasa-sdk's executor with our action instances registered (no package scan)."""
    executor = ActionExecutor()
    for action in action_instances(runtime):
        executor.register_action(action)
    return executor


# The routes only the Rasa server may call (with the shared token); /health stays open.
PROTECTED_ROUTES = ("/webhook", "/actions")


def token_matches(request: Request, token: str) -> bool:
    """The request carries the shared token (Rasa sends endpoints.yml's `token:` as ?token=)."""
    given = request.args.get("token") or ""
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def create_app(runtime: Runtime, token: str, name: str = "actions", cors_origins: str = "*") -> Sanic:
    """rasa-sdk's routes over our executor, callable only with `token`; the reports worker runs
    while the server does."""
    app = Sanic(name, configure_logging=False)
    configure_cors(app, cors_origins)
    executor = build_executor(runtime)

    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        """A forged action call (no token, or a wrong one) changes nothing: 403 before any action runs."""
        if request.path in PROTECTED_ROUTES and not token_matches(request, token):
            logger.warning("refused a call to %s without the action server token", request.path)
            return response.json({"error": "forbidden"}, status=403)
        return None

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        """Liveness, as rasa-sdk answers it."""
        return response.json({"status": "ok"}, status=200)

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        """Run the action the Rasa server asks for."""
        return await run_action(executor, request)

    @app.get("/actions")
    async def actions(_: Request) -> HTTPResponse:
        """The registered action names."""
        return response.json([{"name": k} for k in executor.actions], status=200)

    @app.exception(Exception)
    async def exception_handler(request: Request, exception: Exception) -> HTTPResponse:
        """An action that raised: 500 naming the error's type (rasa-sdk's answer without the
        request body and the error's text, which can quote the conversation)."""
        # Nor are the request (its URL holds the token) or the traceback (a database error quotes
        # its parameters: a person's message) logged above debug level.
        logger.error("An action failed: %s", type(exception).__name__)
        logger.debug("Action failure", exc_info=exception)
        return response.json({"error": type(exception).__name__}, status=500)

    async def start_worker(*_: Any) -> None:
        if runtime.reports is not None:
            runtime.reports.start()

    async def stop_worker(*_: Any) -> None:
        if runtime.reports is not None:
            await runtime.reports.stop()

    app.register_listener(start_worker, "after_server_start")
    app.register_listener(stop_worker, "before_server_stop")
    return app


async def run_action(executor: ActionExecutor, request: Request) -> HTTPResponse:
    """rasa-sdk's /webhook: a (possibly deflated) action call in, events and messages out."""
    if request.headers.get("Content-Encoding") == "deflate":
        action_call = json.loads(zlib.decompress(request.body))
    else:
        action_call = request.json
    if action_call is None:
        return response.json({"error": "Invalid body request"}, status=400)
    utils.check_version_compatibility(action_call.get("version"))
    try:
        result = await executor.run(action_call)
    except ActionExecutionRejection as e:
        logger.debug(e)
        return response.json({"error": e.message, "action_name": e.action_name}, status=400)
    except ActionNotFoundException as e:
        logger.error(e)
        return response.json({"error": e.message, "action_name": e.action_name}, status=404)
    return response.json(result, status=200)


def argument_parser() -> argparse.ArgumentParser:
    """--port, and rasa-sdk's logging options."""
    parser = argparse.ArgumentParser(description="The assistant's action server.")
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_SERVER_PORT, help="port to listen on")
    parser.add_argument("--cors", default="*", help="CORS origins to allow")
    utils.add_logging_level_option_arguments(parser)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Build the runtime (migrating the app database), then serve until stopped."""
    args = argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    settings = settings_or_exit(os.environ)  # read once, here, and passed on
    if settings.action_server_token is None:
        raise SystemExit(
            f"{ACTION_SERVER_TOKEN_ENV} is not set: the action server only answers the Rasa server that "
            "sends it (`bot serve` sets a random one for each run; see .env.example)"
        )
    runtime = build_runtime(project_paths(settings=settings), settings=settings)
    detector()  # ready means warm: the language identifier is loaded before the first request
    app = create_app(runtime, settings.action_server_token, cors_origins=args.cors)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    host = settings.action_server_host
    logger.info("Action server up on http://%s:%d", host, args.port)
    # One worker process: the runtime, its database pool and the reports worker belong to this process.
    app.run(host, args.port, workers=1)
    runtime.database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
