/**
 * The codersdk.Response error body of protocol §1.2: `message` always, `detail` and `validations`
 * only when non-empty (Go `omitempty`).
 */
export interface ValidationError {
  field: string;
  detail: string;
}

export interface CoderResponse {
  message: string;
  detail?: string;
  validations?: ValidationError[];
}

/** Builds a Response body in Go field order, leaving out empty `detail` / `validations`. */
export function coderResponse(message: string, detail?: string, validations?: ValidationError[]): CoderResponse {
  const body: CoderResponse = { message };
  if (detail) body.detail = detail;
  if (validations && validations.length > 0) body.validations = validations;
  return body;
}
