"""SMS for basic phones: segment counting, numbered menus, keywords, sender countries."""
