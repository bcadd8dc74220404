"""Price List entries shaped exactly like the API's answers (one JSON string per product), for the parser tests:
field names, nesting, string-typed numbers and the region-prefixed usage types of real get_products answers."""
from __future__ import annotations

import json


def entry(sku: str, family: str, attributes: dict, dimensions: list[dict], *, service: str = "AmazonEC2",
          effective: str = "2024-04-01T00:00:00Z", published: str = "2024-05-08T19:10:27Z",
          reserved: bool = False) -> str:
    term = f"{sku}.JRTCKXETXF"
    terms = {"OnDemand": {term: {
        "priceDimensions": {f"{term}.{d.pop('rate', '6YS6EN2CT7')}": {
            "unit": d["unit"], "endRange": d.get("end", "Inf"), "description": d["description"], "appliesTo": [],
            "rateCode": f"{term}.{d.get('rate_code', '6YS6EN2CT7')}", "beginRange": d.get("begin", "0"),
            "pricePerUnit": {"USD": d["usd"]}} for d in dimensions},
        "sku": sku, "effectiveDate": effective, "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}}
    if reserved:
        terms["Reserved"] = {f"{sku}.4NA7Y494T4": {
            "priceDimensions": {f"{sku}.4NA7Y494T4.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "description": "reserved", "appliesTo": [],
                "rateCode": f"{sku}.4NA7Y494T4.6YS6EN2CT7", "beginRange": "0", "pricePerUnit": {"USD": "0.0010000000"}}},
            "sku": sku, "effectiveDate": effective, "offerTermCode": "4NA7Y494T4",
            "termAttributes": {"LeaseContractLength": "1yr", "OfferingClass": "standard",
                               "PurchaseOption": "No Upfront"}}}
    return json.dumps({"product": {"productFamily": family, "attributes": {"servicecode": service, **attributes},
                                   "sku": sku},
                       "serviceCode": service, "terms": terms, "version": "20240508191027",
                       "publicationDate": published})


EC2_M5_LARGE_SYDNEY = entry(
    "Q7GDF95MM7MZ7Y5Q", "Compute Instance",
    {"instanceType": "m5.large", "operatingSystem": "Linux", "tenancy": "Shared", "capacitystatus": "Used",
     "preInstalledSw": "NA", "licenseModel": "No License required", "regionCode": "ap-southeast-2",
     "location": "Asia Pacific (Sydney)", "usagetype": "APS2-BoxUsage:m5.large", "operation": "RunInstances",
     "vcpu": "2", "memory": "8 GiB"},
    [{"unit": "Hrs", "usd": "0.1200000000", "description": "$0.12 per On Demand Linux m5.large Instance Hour"}],
    reserved=True)
EC2_M5_LARGE_SYDNEY_UNUSED_RESERVATION = entry(
    "2257YY4K7BWZ4F46", "Compute Instance",
    {"instanceType": "m5.large", "operatingSystem": "Linux", "tenancy": "Shared",
     "capacitystatus": "UnusedCapacityReservation", "preInstalledSw": "NA", "licenseModel": "No License required",
     "regionCode": "ap-southeast-2", "usagetype": "APS2-UnusedBox:m5.large"},
    [{"unit": "Hrs", "usd": "0.1200000000", "description": "$0.12 per Unused Reservation Linux m5.large Instance Hour"}])
GP3_THROUGHPUT_OREGON = entry(
    "XWCTMRRUJM7TGYST", "Provisioned Throughput",
    {"volumeApiName": "gp3", "regionCode": "us-west-2", "usagetype": "USW2-EBS:VolumeP-Throughput.gp3",
     "group": "EBS Throughput"},
    [{"unit": "GiBps-mo", "usd": "40.9600000000",
      "description": "$40.96 per GiBps-mo provisioned throughput - US West (Oregon)"}], effective="2024-07-01T00:00:00Z")
VENDED_LOGS_SYDNEY = entry(  # tiered: three dimensions in one term, listed out of order
    "VJ9K4Z5T6QZ8W3XD", "Data Payload",
    {"regionCode": "ap-southeast-2", "usagetype": "APS2-VendedLog-Bytes", "operation": "PutLogEvents"},
    [{"unit": "GB", "usd": "0.1140000000", "description": "$0.114 per GB for 30-50 TB", "begin": "30720",
      "end": "51200", "rate": "3RU5QR8BAG", "rate_code": "3RU5QR8BAG"},
     {"unit": "GB", "usd": "0.7600000000", "description": "$0.76 per GB first 10 TB", "begin": "0", "end": "10240"},
     {"unit": "GB", "usd": "0.3800000000", "description": "$0.38 per GB next 20 TB", "begin": "10240", "end": "30720",
      "rate": "MNX8BCS2GH", "rate_code": "MNX8BCS2GH"}],
    service="AmazonCloudWatch")
