"""The REST API for other systems (/api/v1/): thin views over the same selectors, forms and services as the pages."""
