"""Accounts: users, organisations (the four-level union tree and the other bodies), roles and the
policy that decides every authorization."""
