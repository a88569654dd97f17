// localStorage that never throws: private mode, a full or blocked store read as "nothing saved".
export function createStorage(store) {
  return {
    get(key) {
      try {
        return store.getItem(key);
      } catch (error) {
        return null;
      }
    },
    set(key, value) {
      try {
        store.setItem(key, value);
      } catch (error) {
        /* storage full or blocked */
      }
    },
  };
}

export function browserStorage() {
  try {
    return createStorage(window.localStorage);
  } catch (error) {
    return createStorage(null); // a blocked localStorage throws on access itself
  }
}
