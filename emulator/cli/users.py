"""`push-emulator users create|list|delete`: API users of one's own on a shared emulator."""

import argparse

from emulator.cli.common import client_of, connection_flags, print_items, print_json, run


def create_command(args: argparse.Namespace) -> int:
    def action() -> None:
        fields = {
            "userkey": args.userkey,
            "password": args.password,
            "permissions": args.permission,
            "tokens": args.user_token,
        }
        with client_of(args) as client:
            # JSON on stdout, for a shell script or another language's test runner to read.
            print_json(client.create_user(**{k: v for k, v in fields.items() if v is not None}))

    return run(args, action)


def list_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            users = client.users()
        header = ["USERKEY", "SOURCE", "PERMISSIONS", "TOKENS"]
        print_items(
            args,
            users,
            header,
            lambda u: [
                u["userkey"],
                u["source"],
                ",".join(u["permissions"]),
                str(len(u["tokens"])),
            ],
            "No API users.",
        )

    return run(args, action)


def delete_command(args: argparse.Namespace) -> int:
    def action() -> None:
        with client_of(args) as client:
            print_json(client.delete_user(args.userkey, purge=args.purge))

    return run(args, action)


def add_users_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser("users", help="create, list and delete API users at run time")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="a new API user, printed as JSON (secrets once)")
    connection_flags(create)
    create.add_argument("--userkey", help="its userkey (default: generated)")
    create.add_argument("--password", help="its password (default: generated)")
    create.add_argument(
        "--permission",
        action="append",
        choices=["push", "transactionalPush"],
        help="a permission; repeat for more (default: both)",
    )
    create.add_argument(
        "--token",
        dest="user_token",
        action="append",
        help="a static token of its own; repeat for more (default: one generated)",
    )
    create.set_defaults(handler=create_command)

    listing = actions.add_parser("list", help="every API user; no passwords, tokens masked")
    connection_flags(listing)
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=list_command)

    delete = actions.add_parser("delete", help="remove a run-time API user and its tokens")
    connection_flags(delete)
    delete.add_argument("userkey")
    delete.add_argument("--purge", action="store_true", help="also delete its sends and journal")
    delete.set_defaults(handler=delete_command)
