/** Injection token of the validated, frozen environment (`Env`). */
export const ENV = Symbol('ENV');
