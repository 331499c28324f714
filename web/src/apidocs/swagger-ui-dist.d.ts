// The slice of swagger-ui-dist's bundle this page uses (the package ships no types).
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  export interface SwaggerUIOptions {
    domNode: HTMLElement;
    url: string;
    deepLinking?: boolean;
    docExpansion?: "list" | "full" | "none";
    defaultModelsExpandDepth?: number;
    displayOperationId?: boolean;
    displayRequestDuration?: boolean;
    operationsSorter?: "alpha" | "method";
    tagsSorter?: "alpha";
    tryItOutEnabled?: boolean;
    validatorUrl?: string | null;
    onComplete?: () => void;
  }
  const SwaggerUIBundle: (options: SwaggerUIOptions) => unknown;
  export default SwaggerUIBundle;
}
