export * from './address-policy';
export * from './sender';
