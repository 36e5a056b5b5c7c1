"""Council and policy index: OParl crawler, text extraction, chunking, search backends."""
