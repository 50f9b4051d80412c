"""A faithful local stand-in for PayFiP Régie Web-Service (DGFiP), for the demo and the tests.
Never in production: mounted at /payfip-simulateur/ only when ``PAYFIP_SIMULATOR_ENABLED``
(default: DEBUG); ``manage.py check`` warns when it is on without DEBUG, and
``check --deploy`` fails.

Addresses (relative to the site):
- ``/payfip-simulateur/ws/`` and ``/payfip-simulateur/tpa/services/securite``: the SOAP
  endpoint (POST) of PaiementSecuriseService, the three operations of the WSDL eopayment 3.15
  ships (creerPaiementSecurise, recupererDetailPaiementSecurise, recupererDetailClient), same
  namespaces, same fault format as the real JAX-WS server.
- ``/payfip-simulateur/ws.wsdl`` (or ``…/tpa/services/securite?wsdl``): that WSDL with its
  soap:address pointing here; its XSDs are served next to it.
- ``/payfip-simulateur/tpa/paiementws.web?idop=…``: the payment page. One chooses paid by card
  (P), paid by direct debit (V), card refused (R), direct debit refused (Z) or abandoned (A);
  the simulator keeps the result with numauto/dattrans/heurtrans, POSTs ``idOp=<idop>``
  form-encoded to ``urlnotif`` (server to server, 5 s timeout), then redirects the browser to
  ``urlredirect?idop=<idop>``.
- ``/payfip-simulateur/``: a control page (latest idops, clock, switches).

To point eopayment at it, only the host part of PayFiP's official URLs changes:
SOAP ``<site>/payfip-simulateur/tpa/services/securite``, payment page
``<site>/payfip-simulateur/tpa/paiementws.web``.

Behaviour (DOMAIN.md §1.5–1.7):
- Client numbers: any 6 digits is a known régie, except ``000000`` (fault T2, unknown client);
  not 6 digits: T1.
- Creation validates like PayFiP: saisie T/X/W (S1), refdet 6–30 letters or digits (R3),
  montant digits in cents (M1), 1 € minimum (M3), 100,000 € maximum (M5), mel present (A1),
  with an @ and 6–80 characters (A2), http(s) urlnotif (N1) and urlredirect (D1). P1, P5, R3
  and A2 are verified codes; the others are unverified (services.py).
- Lookup: unknown idop → P1; no result yet → P5; the payment page of an idop opens for
  15 minutes (then P4; a second use, P3); an idop left without a result is forgotten by the
  nightly purge at 02:00 (Europe/Paris) after its expiry (then P1), or at once with the
  control page's « nightly purge » button. A result stays readable.

Switches for tests (``services`` functions, or the control page):
- Clock: the simulator reads time only through ``clock.now()``: the wall clock (time-machine
  moves it too) plus ``SimulatorState.clock_offset_seconds``; ``services.move_clock(minutes=)``,
  ``services.set_clock(at=)``, ``services.reset_clock()``.
- Notifications dropped: ``settings.PAYFIP_SIMULATOR_DROP_NOTIFICATIONS`` or
  ``services.update_state(drop_notifications=True)``.
- Notification field spelling: ``update_state(notification_field="idop")`` (default ``idOp``).
- Creation failing: ``update_state(creation_failure="fault")`` answers a SOAP fault
  (TechIndisponibiliteErreur: eopayment raises PayFiPError code "unknown");
  ``update_state(creation_failure="hang", hang_seconds=N)`` answers nothing for N seconds
  (eopayment's timeout then raises PayFiPError code "HTTP error").
State lives in the database (one ``SimulatorState`` row) so every thread of a live server
sees it."""
