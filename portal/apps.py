from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # portal wires the floors together; it is listed after allauth so its receivers are connected.
        from allauth.account.signals import user_logged_in
        from allauth.usersessions import signals as usersessions_signals

        from eid.sessions import record_user_session

        user_logged_in.disconnect(receiver=usersessions_signals.on_user_logged_in)
        user_logged_in.connect(record_user_session, dispatch_uid="eid.record_user_session")
