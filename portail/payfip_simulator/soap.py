"""The SOAP of PayFiP's PaiementSecuriseService, as its JAX-WS server speaks it: SOAP 1.1
document/literal, ``tns:<operation>/arg0/<fields>`` in, ``tns:<operation>Response/return/
<fields>`` out (children unqualified), faults with ``faultstring`` the Java exception class
and ``detail/tns:<kind>/{code, descriptif, libelle, message, severite}``."""

from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
OPERATIONS = {"creerPaiementSecurise", "recupererDetailPaiementSecurise", "recupererDetailClient"}
EXCEPTION_PACKAGE = "fr.gouv.finances.cp.tpa.webservice.exceptions"
MAX_BODY_BYTES = 64 * 1024
WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
SCHEMAS = {
    "PaiementSecuriseService_schema1.xsd",
    "PaiementSecuriseService_schema2.xsd",
    "PaiementSecuriseService_schema3.xsd",
}

# No entities, no network, no giant trees: the body comes from anyone who can reach the port.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class BadRequest(Exception):
    """Not a SOAP call of one of the three operations."""


def parse_request(body: bytes) -> tuple[str, dict]:
    """The operation's local name and the text of the children of its ``arg0``."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body too large")
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise BadRequest(str(error)) from error
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise BadRequest("not a SOAP 1.1 envelope")
    body_element = root.find(f"{{{SOAP_ENV}}}Body")
    if body_element is None or len(body_element) == 0:
        raise BadRequest("empty SOAP body")
    call = body_element[0]
    if not isinstance(call.tag, str) or etree.QName(call).namespace != TNS:
        raise BadRequest("unknown namespace")
    operation = etree.QName(call).localname
    if operation not in OPERATIONS:
        raise BadRequest(f"unknown operation {operation}")
    fields = {}
    arg0 = call.find("arg0")
    if arg0 is not None:
        for child in arg0:
            if isinstance(child.tag, str) and "}" not in child.tag:
                fields[child.tag] = (child.text or "").strip()
    return operation, fields


def _envelope():
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"S": SOAP_ENV})
    return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")


def render_response(operation: str, fields: list[tuple[str, str]]) -> bytes:
    """``fields`` in the order of the XSD sequence; empty values are left out."""
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{{{TNS}}}{operation}Response", nsmap={"ns2": TNS})
    result = etree.SubElement(response, "return")
    for name, value in fields:
        if value:
            etree.SubElement(result, name).text = value
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def render_fault(*, kind: str, code: str, descriptif: str) -> bytes:
    envelope, body = _envelope()
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "S:Server"
    etree.SubElement(fault, "faultstring").text = f"{EXCEPTION_PACKAGE}.{kind}"
    detail = etree.SubElement(fault, "detail")
    error = etree.SubElement(detail, f"{{{TNS}}}{kind}", nsmap={"ns2": TNS})
    etree.SubElement(error, "code").text = code
    etree.SubElement(error, "descriptif").text = descriptif
    etree.SubElement(error, "libelle").text = descriptif
    etree.SubElement(error, "severite").text = "2"
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def render_client_fault(message: str) -> bytes:
    """What a JAX-WS server answers to a body it cannot read."""
    envelope, body = _envelope()
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "S:Client"
    etree.SubElement(fault, "faultstring").text = message[:200]
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def wsdl(*, soap_address: str) -> bytes:
    """The WSDL eopayment ships, its soap:address pointing at this simulator. The XSDs it
    imports are relative, served next to it."""
    text = (WSDL_DIR / "PaiementSecuriseService.wsdl").read_text(encoding="utf-8")
    return text.replace('"{{ soap_address }}"', quoteattr(soap_address)).encode()


def schema(name: str) -> bytes | None:
    if name not in SCHEMAS:
        return None
    return (WSDL_DIR / name).read_bytes()
