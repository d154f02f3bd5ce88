"""init_command_line_parser: a custom option, read on the master and on every worker."""

import os

from fastswarm import User, constant, events, task

LOG = os.environ.get("COMPAT_LOG")


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--customer-count", type=int, env_var="CUSTOMER_COUNT", default=1, help="customers")
    parser.add_argument("--region", type=str, default="eu", include_in_web_ui=True)


@events.test_start.add_listener
def show(environment, **kwargs):
    opts = environment.parsed_options
    with open(LOG, "a") as f:
        f.write(f"{environment.role} {opts.customer_count} {opts.region}\n")


class Nobody(User):
    wait_time = constant(1)

    @task
    def nothing(self):
        pass
